"""An operator opens Failures, retries one run, then retries all the rest after confirming."""

from __future__ import annotations

import re

import pytest

from integrations.models import (
    Run,
    RunStatus,
)
from integrations.sync import dispatch
from tests.browser.conftest import operator_with_flow, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failures(django_user_model, monkeypatch):  # type: ignore[no-untyped-def]
    # Nothing is sent to a broker: retried runs stay queued.
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)
    user, workspace, flow = operator_with_flow(django_user_model, "Olga")
    runs = []
    for i, (kind, error) in enumerate(
        [("validation", "HighLevel answered 422: email is invalid")] * 3
        + [("transient", "HighLevel timed out after 10 s")] * 2
    ):
        runs.append(
            Run.objects.create(
                workspace=workspace,
                flow=flow,
                status=RunStatus.FAILED,
                event_type="ContactUpdate",
                payload={"id": f"c-{i}", "email": f"person{i}@example.com"},
                record_id=f"c-{i}",
                record_label=f"Person {i} <person{i}@example.com>",
                attempt=3,
                error_kind=kind,
                error=error,
                error_hint="Fix the record, then retry." if kind == "validation" else "",
            )
        )
    Run.objects.create(workspace=workspace, flow=flow, status=RunStatus.SUCCEEDED, attempt=1)
    return runs


def log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/")
    page.fill("input[name=login]", "olga@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")  # the overview


def test_retry_one_then_retry_all(page, live_server, failures):  # type: ignore[no-untyped-def]
    log_in(page, live_server.url)
    page.click("nav >> text=Failures")
    page.wait_for_url("**/failures/")
    assert page.title() == "Failures · Syncdeck"
    assert page.locator("tr.group").count() == 2
    shot(page, "runs-01-failures")

    first = failures[-1]  # the newest is listed first
    page.locator(f"#run-{first.code} .retry-btn").click()
    new = None
    for _ in range(50):
        new = Run.objects.filter(retry_of=first).first()
        if new:
            break
        page.wait_for_timeout(100)
    assert new is not None and new.status == RunStatus.QUEUED
    page.wait_for_selector(f"#run-{new.code} .badge-queued")
    assert "retried" in page.locator(f"#run-{first.code}").inner_text()
    assert page.locator(f"#run-{first.code} .retry-btn").count() == 0
    shot(page, "runs-02-retried-one")

    page.click("#retry-all")
    page.wait_for_url("**/failures/retry-all/**")
    assert page.locator("#retry-count").inner_text() == "4"
    shot(page, "runs-03-retry-all-confirm")
    page.click("#confirm-retry-all")
    page.wait_for_url("**/failures/")
    assert "4 runs queued for retry." in page.locator(".messages").inner_text()
    assert Run.objects.filter(trigger="retry").count() == 5
    assert "No failures to look at" in page.content()
    shot(page, "runs-04-retried-all")

    page.click("nav >> text=Runs")
    page.wait_for_url("**/runs/")
    assert page.locator("tr.run-row").count() == 11
    # Queued rows poll their own partial every 2 s without errors.
    with page.expect_response(re.compile(r"/runs/[0-9a-f-]+/row/")) as polled:
        pass
    assert polled.value.status == 200
    shot(page, "runs-05-run-list")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/runs/{first.code}/")
    assert "Fix the record" not in page.content()  # transient: hint by kind
    assert "did not answer in time" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "runs-06-detail-phone")
    page.goto(f"{live_server.url}/failures/")
    page.goto(f"{live_server.url}/runs/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "runs-07-runs-phone")
    assert page.console_errors == []  # type: ignore[attr-defined]
