"""The operator's day in a real browser (Debian Chromium): the overview updates itself when
a run fails, the team is managed, alert rules are edited and muted, a bulk retry is sized
before it starts, the mapping editor offers value maps and a field picker, and a
connection's health check shows on its card. Screenshots at 1280 px and 390 px go to
/tmp/shots-ops/; no page logs a console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from allauth.account.models import EmailAddress

from integrations.models import (
    AlertRule,
    Connection,
    Flow,
    Integration,
    Invitation,
    Membership,
    Notification,
    Role,
    Run,
    RunStatus,
    Step,
    TriggerKind,
    Workspace,
)
from integrations.sync import dispatch
from tests.connectors.test_rest_fixtures import yourapp  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-ops")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page at 1280 px and at phone width (which must not scroll sideways)."""
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > innerWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className + ' '"
        " + Math.round(e.getBoundingClientRect().right))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, (name, wide)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)


@pytest.fixture
def flow(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        username="opal", email="opal@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Opal's Agency")
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
    page.fill("input[name=login]", "opal@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_the_overview_updates_itself(page, live_server, flow):  # type: ignore[no-untyped-def]
    for _ in range(3):
        Run.objects.create(
            workspace=flow.integration.workspace, flow=flow, status=RunStatus.SUCCEEDED, attempt=1
        )
    log_in(page, live_server.url)
    card = page.locator(f"#integration-{flow.integration.code}")
    assert card.locator(".health").inner_text() == "Healthy"
    assert page.locator("#nav-failures").is_hidden()
    # Polls that find nothing new swap nothing (204).
    with page.expect_response(lambda r: "/live/" in r.url) as first:
        pass
    assert first.value.status == 204

    Run.objects.create(
        workspace=flow.integration.workspace,
        flow=flow,
        status=RunStatus.FAILED,
        attempt=1,
        error="HighLevel answered 422: email is invalid",
        error_kind="validation",
    )
    # No reload: the navigation count and the card change within a few seconds.
    page.wait_for_selector("#nav-failures:visible >> text=1", timeout=8000)
    page.wait_for_function(
        "document.querySelector('#overview-live').innerText.includes('email is invalid')",
        timeout=8000,
    )
    card = page.locator(f"#integration-{flow.integration.code}")
    assert card.locator(".health").inner_text() == "Degraded"
    assert "Failed (1)" in page.locator(".chart-card .legend").inner_text()
    shots(page, "01-overview-live")

    # Hidden: the page stops polling; visible again: it polls at once.
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    with page.expect_request(lambda r: "/live/" in r.url, timeout=2000):
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_owner_manages_the_team(page, live_server, flow, django_user_model):  # type: ignore[no-untyped-def]
    workspace = flow.integration.workspace
    for name, role in (("otto", Role.OPERATOR), ("vera", Role.VIEWER)):
        user = django_user_model.objects.create_user(username=name, email=f"{name}@example.com")
        Membership.objects.create(workspace=workspace, user=user, role=role)
    Invitation.objects.create(workspace=workspace, email="ines@example.com", role=Role.VIEWER)
    log_in(page, live_server.url)
    page.click("nav >> text=Team")
    me = Membership.objects.get(user__email="opal@example.com")
    assert page.locator(f"#member-{me.pk} .last-owner").inner_text() == "only owner"
    assert page.locator(f"#member-{me.pk} select").is_disabled()
    shots(page, "02-team")

    otto = Membership.objects.get(user__email="otto@example.com")
    page.select_option(f"#role-{otto.pk}", "admin")
    page.click(f"#member-{otto.pk} .role-form button")
    page.wait_for_selector(".msg-success >> text=otto@example.com is now Admin.")

    page.click("#invitations .resend-btn")
    page.wait_for_selector(".msg-success >> text=New link for ines@example.com")

    vera = Membership.objects.get(user__email="vera@example.com")
    page.click(f"#member-{vera.pk} summary")
    shots(page, "03-team-remove-confirm")
    page.click(f"#member-{vera.pk} .remove-btn")
    page.wait_for_selector(".msg-success >> text=vera@example.com was removed")
    assert not Membership.objects.filter(pk=vera.pk).exists()

    page.click(f"#member-{otto.pk} summary >> text=Transfer ownership")
    page.click(f"#member-{otto.pk} .transfer-btn")
    page.wait_for_selector(".msg-success >> text=otto@example.com now owns")
    assert Membership.objects.get(pk=me.pk).role == Role.ADMIN
    # No longer an owner: the page shows no controls.
    assert page.locator(".transfer-btn").count() == 0
    page.goto(live_server.url + "/audit/")
    assert "transferred ownership" in page.content()
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_owner_edits_and_mutes_an_alert_rule(page, live_server, flow):  # type: ignore[no-untyped-def]
    workspace = flow.integration.workspace
    rule = AlertRule.objects.create(
        workspace=workspace,
        kind=AlertRule.Kind.RUN_FAILED,
        channel="webhook",
        target="https://hooks.example.com/services/secret",
    )
    Notification.objects.create(
        workspace=workspace,
        rule=rule,
        channel="webhook",
        target=rule.target,
        subject="[Syncdeck] Run failed in GHL → CRM / contacts",
        body="",
        status="sent",
    )
    log_in(page, live_server.url)
    page.click("nav >> text=Alerts")
    page.click(f"#rule-{rule.pk} .edit-btn")
    page.wait_for_selector("#rule-history >> text=Run failed in GHL")
    assert "services/secret" not in page.content()
    page.select_option("#edit-rule select[name=kind]", "error_rate")
    page.fill("#edit-rule input[name=threshold]", "12")
    page.click("#edit-rule .save-btn")
    page.wait_for_selector(".msg-success >> text=Alert rule saved.")
    rule.refresh_from_db()
    assert (rule.kind, rule.threshold, rule.target) == (
        "error_rate",
        12,
        "https://hooks.example.com/services/secret",
    )
    page.select_option("#mute-rule select[name=hours]", "8")
    page.click("#mute-rule .mute-btn")
    page.wait_for_selector("#muted-badge")
    shots(page, "04-alert-rule-muted")
    page.click("nav >> text=Alerts")
    assert "Muted until" in page.locator(f"#rule-{rule.pk}").inner_text()
    page.click(f"#rule-{rule.pk} .edit-btn")
    page.click(".unmute-btn")
    page.wait_for_selector(".msg-success >> text=unmuted")
    assert page.locator("#muted-badge").count() == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_retry_all_is_sized_followed_and_cancelled(page, live_server, flow):  # type: ignore[no-untyped-def]
    workspace = flow.integration.workspace
    app = Connection.objects.create(
        workspace=workspace,
        kind="rest",
        auth_method="api_key",
        account_name="Your App",
        config={
            "base_url": "https://app.example.com",
            "rate_limit": {"requests": 2, "per_seconds": 1},
        },
    )
    Step.objects.create(
        flow=flow, key="write", position=0, connection=app, operation="create", record_mode="sync"
    )
    for _ in range(120):
        Run.objects.create(
            workspace=workspace, flow=flow, status=RunStatus.FAILED, attempt=1, error="422"
        )
    log_in(page, live_server.url)
    page.click("nav >> text=Failures")
    page.click("#retry-all")
    page.wait_for_selector("#retry-estimate")
    estimate = page.locator("#retry-estimate").inner_text()
    assert "Your App" in estimate and "2 calls per 1 s" in estimate
    assert "240" in estimate and "about 2 min" in estimate  # 240 calls at 2 per second
    shots(page, "05-retry-estimate")
    page.click("#confirm-retry-all")
    page.wait_for_url("**/failures/")
    # Nothing runs the retries here (no worker): they wait, and the card says so.
    page.wait_for_selector("#retry-counts >> text=120 waiting")
    shots(page, "06-retry-progress")
    page.click("#cancel-retry")
    page.wait_for_selector(".msg-success >> text=120 waiting runs cancelled")
    assert page.locator("#retry-status").inner_text() == "Cancelled"
    assert Run.objects.filter(trigger="retry", status=RunStatus.CANCELLED).count() == 120
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_mapping_editor_offers_value_maps_and_a_field_picker(  # type: ignore[no-untyped-def]
    page,
    live_server,
    flow,
    ghl_sandbox,
    yourapp,  # noqa: F811
):
    from tests.connectors.conftest import pit_connection
    from tests.connectors.test_rest_fixtures import rest_connection
    from tests.wizard import test_map_params as drafts

    workspace = flow.integration.workspace
    ghl = pit_connection(workspace, scopes="contacts.readonly contacts.write")
    app = rest_connection(workspace, yourapp)
    integration = drafts.make(workspace, ghl, app)
    draft = integration.draft
    draft["samples"]["t1"]["record"]["owner"] = {"name": "Oda", "email": "oda@example.com"}
    integration.draft = draft
    integration.save()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/integrations/{integration.code}/setup/map/?flow=t1")
    row = page.locator("tr.map-row", has=page.locator("input[value=title]"))
    # The picker writes the chosen path into the free-text source; the preview follows.
    row.locator("select.pick").select_option("trigger.owner.name")
    assert row.locator("input[name$=-source]").input_value() == "trigger.owner.name"
    page.wait_for_selector('#preview-result:has-text("\\"title\\": \\"Oda\\"")')
    row.locator("details.vmap summary").click()
    row.locator("textarea").fill("Oda = Owner: Oda")
    page.wait_for_selector('#preview-result:has-text("Owner: Oda")')
    shots(page, "07-map-value-map-picker")
    page.click("#next")
    page.wait_for_url("**/setup/test/**")
    integration.refresh_from_db()
    rule = next(
        r for r in integration.draft["flows"][0]["steps"][0]["mapping"] if r["target"] == "title"
    )
    assert rule["source"] == "trigger.owner.name"
    assert rule["transforms"] == [{"name": "value_map", "map": {"Oda": "Owner: Oda"}}]
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_connection_health_checks_show_and_alert(page, live_server, flow, ghl_sandbox):  # type: ignore[no-untyped-def]
    import requests

    from integrations import tasks
    from tests.connectors.conftest import pit_connection

    workspace = flow.integration.workspace
    ghl = pit_connection(workspace)
    AlertRule.objects.create(
        workspace=workspace,
        kind=AlertRule.Kind.CONNECTION_CHECK,
        channel="email",
        target="ops@example.com",
    )
    faults = live_server.url + "/sandbox/ghl/_control/faults"
    requests.post(faults, json={"error_rate": 1}, timeout=10)
    try:
        assert tasks.check_connections() >= 1  # the beat task
    finally:
        requests.post(faults, json={"error_rate": 0}, timeout=10)
    log_in(page, live_server.url)
    page.click("nav >> text=Connections")
    card = page.locator(f"#conn-{ghl.code}")
    assert "✗" in card.inner_text()
    page.click("nav >> text=Alerts")
    page.wait_for_selector("#alerts-log >> text=Health check of")
    shots(page, "08-health-check-alert")
    tasks.check_connection_health(ghl.pk)  # the next check passes: recovered
    page.click("nav >> text=Connections")
    assert "✓" in page.locator(f"#conn-{ghl.code}").inner_text()
    shots(page, "09-connections-checked")
    page.click("nav >> text=Alerts")
    page.wait_for_selector("#alerts-log .kind-recovered")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_polling_stops_while_the_tab_is_hidden(page, live_server, flow):  # type: ignore[no-untyped-def]
    # A fake clock: time moves only when the test says so (no sleeps, no flakes).
    log_in(page, live_server.url)
    page.clock.install()
    page.goto(live_server.url + "/")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/live/" in r.url else None)
    with page.expect_response(lambda r: "/live/" in r.url):
        page.clock.run_for(3500)  # visible: one poll every 3 s
    assert len(polls) == 1
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.clock.run_for(120_000)  # two minutes hidden: no poll at all
    page.evaluate("fetch('/live/?v=x').then(r => r.status)")  # a round trip to flush
    assert [u for u in polls if "overview=1" in u] == polls[:1]
    with page.expect_request(lambda r: "overview=1" in r.url):
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    assert page.console_errors == []  # type: ignore[attr-defined]
