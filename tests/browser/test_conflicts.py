"""An operator opens the conflict queue from the nav, resolves a phone conflict with a typed
value, then follows the record to its page: links, agreed values, conflicts, timeline.
Screenshots go to /tmp/shots-cf/ (and test-artifacts/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.models import Conflict, Membership, Role, Run, Workspace
from integrations.sync import dispatch
from tests.browser.conftest import shot
from tests.dashboard.test_conflict_pages import make_queue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-cf")


def snap(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    shot(page, f"cf-{name}")


@pytest.fixture
def queue(django_user_model, monkeypatch):  # type: ignore[no-untyped-def]
    from allauth.account.models import EmailAddress

    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)
    user = django_user_model.objects.create_user(
        username="olga", email="olga@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Olga's Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OPERATOR)
    return make_queue(workspace)


def test_conflict_queue_then_record_page(page, live_server, queue):  # type: ignore[no-untyped-def]
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=login]", "olga@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    assert page.locator(".sync-health").first.inner_text().count("1 in conflict") == 1
    assert page.locator("#nav-conflicts").inner_text() == "1"
    snap(page, "overview")

    page.click("nav >> text=Conflicts")
    page.wait_for_url("**/conflicts/")
    row = page.locator("tr.conflict")
    assert row.count() == 1
    assert "+15125550111" in row.inner_text() and "+15125550122" in row.inner_text()
    assert "was +15125550100" in row.inner_text()
    snap(page, "conflicts")

    row.locator("input[name=value]").fill("+15125550199")
    row.locator("button.pick-value").click()
    page.wait_for_load_state()
    assert "being written to both apps" in page.content()
    assert "being written" in page.locator("tr.conflict").inner_text()
    assert page.locator("tr.bulk-group").count() == 0  # nothing left to resolve in bulk
    conflict = Conflict.objects.get()
    assert conflict.resolved_value == "+15125550199" and conflict.winner == "value"
    assert Run.objects.filter(trigger="resolve").count() == 1
    snap(page, "conflicts-resolving")

    page.locator("tr.conflict a", has_text="Ada Lovelace").click()
    page.wait_for_url(f"**/records/{queue['link'].pk}/")
    assert page.locator("table.links tr.current").count() == 1
    timeline = page.locator("ol.timeline > li")
    assert timeline.count() == 3  # created, saw the conflict, the resolution run (queued)
    text = page.locator("ol.timeline").inner_text()
    assert "Created in Your App" in text and "+15125550100" in text
    assert "waiting in the conflict queue" in text
    snap(page, "record")
    assert not page.console_errors  # type: ignore[attr-defined]


def test_replay_dry_run_page(page, live_server, queue):  # type: ignore[no-untyped-def]
    from integrations.models import RunStatus, RunStep

    flow = queue["runs"][0].flow
    step = flow.steps.get()
    step.mapping = [
        {"target": "phone", "source": "trigger.phone", "transforms": [{"name": "e164"}]},
        {"target": "email", "source": "trigger.email", "required": True},
    ]
    step.save()
    sent = Run.objects.create(
        workspace=flow.integration.workspace,
        flow=flow,
        status=RunStatus.FAILED,
        record_id="ghl-9",
        record_label="Grace Hopper",
        payload={"id": "ghl-9", "phone": "512 555 0100", "email": "grace@example.com"},
        error="Your App answered 422: phone must be E.164",
    )
    RunStep.objects.create(
        run=sent,
        step_key="push",
        method="POST",
        url="https://app.example/contacts",
        request_body='{"phone": "512 555 0100"}',
        response_status=422,
    )
    Run.objects.create(
        workspace=flow.integration.workspace,
        flow=flow,
        status=RunStatus.FAILED,
        record_id="ghl-10",
        record_label="No Email",
        payload={"id": "ghl-10", "phone": "+15125550101"},
        error="email: required",
    )
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=login]", "olga@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(f"{base}/flows/{flow.code}/replay/?limit=5")
    assert "1 of 2" in page.locator(".replay-summary").inner_text()
    fixed = page.locator("section.replay-run.replay-ok")
    assert "+15125550100" in fixed.inner_text() and "512 555 0100" in fixed.inner_text()
    assert "would still fail" in page.locator("section.still-failing").inner_text()
    snap(page, "replay-dry-run")
    page.click("#replay-confirm")
    page.wait_for_url("**/runs/**")
    assert Run.objects.filter(trigger="replay", retry_of=sent).count() == 1
    assert Run.objects.filter(trigger="replay").count() == 1  # not the one still failing
