"""An operator logs in to the overview, sees the integration's card and chart, pauses the
integration, sees it paused, and resumes it; the page also works at phone width."""

from __future__ import annotations

import pytest

from integrations.models import (
    IntegrationStatus,
    Run,
    RunStatus,
)
from integrations.sync import dispatch
from tests.browser.conftest import operator_with_flow, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def integration(django_user_model, monkeypatch):  # type: ignore[no-untyped-def]
    # Nothing is sent to a broker: resumed runs stay queued.
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)
    user, workspace, flow = operator_with_flow(django_user_model, "Omar")
    integration = flow.integration
    for i in range(8):
        Run.objects.create(
            workspace=workspace,
            flow=flow,
            status=RunStatus.FAILED if i < 2 else RunStatus.SUCCEEDED,
            error="HighLevel answered 422: email is invalid" if i < 2 else "",
            error_kind="validation" if i < 2 else "",
            attempt=1,
        )
    return integration


def test_overview_pause_and_resume(page, live_server, integration):  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/")
    page.fill("input[name=login]", "omar@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.title() == "Overview · Syncdeck"
    card = page.locator(f"#integration-{integration.code}")
    assert card.locator(".health").inner_text() == "Degraded"
    assert card.locator("svg.chart rect.bar-failed").count() >= 1
    assert page.locator(".chart-card svg.chart").count() == 1
    assert "email is invalid" in card.inner_text()
    shot(page, "overview-01-cards")

    card.locator(".pause-btn").click()
    page.wait_for_selector(".msg-success")
    card = page.locator(f"#integration-{integration.code}")
    assert card.locator(".health").inner_text() == "Paused"
    assert "is paused" in page.locator(".attention").inner_text()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.PAUSED
    shot(page, "overview-02-paused")

    card.locator(".resume-btn").click()
    page.wait_for_selector(".msg-success >> text=waiting runs sent")
    assert "resumed: 0 waiting runs sent." in page.locator(".messages").inner_text()
    assert page.locator(f"#integration-{integration.code} .health").inner_text() == "Degraded"

    page.click(".tabs >> text=7 days")
    page.wait_for_url("**/?range=7d")
    assert "Failed (2)" in page.locator(".legend").inner_text()
    shot(page, "overview-03-7d")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "overview-04-phone")
    page.goto(live_server.url + "/audit/")
    assert "paused an integration" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "overview-05-audit-phone")
    page.goto(live_server.url + f"/charts/?integration={integration.code}&range=30d")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "overview-06-charts-phone")
    assert page.console_errors == []  # type: ignore[attr-defined]
