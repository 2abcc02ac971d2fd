"""An owner adds an email alert for run failures; a run fails; the alert shows in the log."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from integrations import tasks
from integrations.models import (
    AlertRule,
    Connection,
    Flow,
    Integration,
    Membership,
    Notification,
    Role,
    Run,
    RunStatus,
    TriggerKind,
    Workspace,
)
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def flow(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        username="olga", email="olga@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Olga's Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    connection = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    connection.credentials = {"pit": "x" * 20}
    connection.save()
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    return Flow.objects.create(
        integration=integration,
        name="contacts",
        source=connection,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactUpdate"]},
    )


def log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "olga@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_add_an_email_rule_and_see_the_alert(page, live_server, flow):  # type: ignore[no-untyped-def]
    log_in(page, live_server.url)
    page.click("nav >> text=Alerts")
    page.wait_for_url("**/alerts/")
    assert page.title() == "Alerts · Syncdeck"
    assert page.get_by_text("No alert rules yet").is_visible()
    shot(page, "alerts-01-empty")

    # A bad address first: the form keeps the input and says what is wrong.
    page.select_option("select[name=kind]", "run_failed")
    page.select_option("select[name=channel]", "email")
    page.fill("input[name=target]", "ops-at-example")
    page.click("#add-rule button[type=submit]")
    page.wait_for_selector("text=Enter a valid email address.")
    assert page.input_value("input[name=target]") == "ops-at-example"
    page.fill("input[name=target]", "ops@example.com")
    page.click("#add-rule button[type=submit]")
    page.wait_for_selector("text=Alert rule added")
    rule = AlertRule.objects.get()
    assert rule.kind == "run_failed" and rule.target == "ops@example.com"
    assert page.locator(f"#rule-{rule.pk}").is_visible()

    now = timezone.now()
    Run.objects.create(
        workspace=flow.integration.workspace,
        flow=flow,
        status=RunStatus.FAILED,
        attempt=6,
        record_id="c-1",
        record_label="Ada <ada@example.com>",
        error_kind="transient",
        error="HighLevel timed out after 10 s",
        started_at=now,
        finished_at=now,
    )
    assert tasks.evaluate_alerts() == 1
    notification = Notification.objects.get()
    assert notification.status == "sent"
    assert mail.outbox[0].subject == "[Syncdeck] Run failed in GHL → CRM / contacts"

    page.reload()
    row = page.locator(f"#notification-{notification.pk}")
    row.wait_for()
    assert "Run failed in GHL → CRM / contacts" in row.inner_text()
    assert "Sent" in row.inner_text() and "opened" in row.inner_text()
    assert page.locator("#open-incidents").is_visible()
    shot(page, "alerts-02-log")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"page is {width}px wide on a phone"
    shot(page, "alerts-03-phone")
    assert page.console_errors == []  # type: ignore[attr-defined]
