"""Retry all, sized before it starts (runs, apps, calls against each app's rate budget, time
at the budget's pace), then queued in chunks by a worker, followed and cancellable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations import retrying
from integrations.models import (
    AuditEntry,
    Connection,
    Flow,
    Integration,
    RetryBatch,
    Run,
    RunStatus,
    RunStep,
    Step,
    TriggerKind,
)
from integrations.sync import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)


@pytest.fixture
def world(workspace, settings):
    settings.GHL_RATE_LIMIT_MAX = 95
    settings.GHL_RATE_LIMIT_INTERVAL_SECONDS = 10
    ghl = Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1", account_name="HQ"
    )
    app = Connection.objects.create(
        workspace=workspace,
        kind="rest",
        auth_method="api_key",
        account_name="Your App",
        config={
            "base_url": "https://app.example.com",
            "rate_limit": {"requests": 5, "per_seconds": 1},
        },
    )
    integration = Integration.objects.create(workspace=workspace, name="GHL → Your App")
    flow = Flow.objects.create(
        integration=integration, name="contacts", source=ghl, trigger_kind=TriggerKind.WEBHOOK
    )
    Step.objects.create(
        flow=flow, key="write", position=0, connection=app, operation="create", record_mode="sync"
    )
    Step.objects.create(flow=flow, key="tag", position=1, connection=ghl, operation="add-tags")
    return flow, ghl, app


def failed(flow, n):
    ws = flow.integration.workspace
    return [
        Run.objects.create(workspace=ws, flow=flow, status=RunStatus.FAILED, attempt=1, error="x")
        for _ in range(n)
    ]


def test_the_estimate_counts_calls_per_app_from_history(world):
    flow, ghl, app = world
    # History: a run of this flow made 3 calls to Your App (look up, create, a retry of
    # the create) and 1 to GHL.
    done = Run.objects.create(
        workspace=flow.integration.workspace, flow=flow, status=RunStatus.SUCCEEDED, attempt=1
    )
    for key in ("write", "write", "write", "tag"):
        RunStep.objects.create(run=done, step_key=key, method="POST", url="https://x")
    failed(flow, 40)
    sized = retrying.estimate(Run.objects.filter(workspace=flow.integration.workspace))
    assert sized.runs == 40 and sized.flows == [(flow, 40)]
    loads = {load.connection: load for load in sized.apps}
    assert loads[app].calls == 120 and loads[app].budget == (5, 1.0)
    assert loads[ghl].calls == 40 and loads[ghl].budget == (95, 10.0)
    assert loads[app].seconds == pytest.approx(24.0)  # 120 calls at 5 per second
    assert loads[ghl].seconds == pytest.approx(40 / 95 * 10)
    assert sized.seconds == pytest.approx(24.0) and sized.calls == 160
    assert retrying.duration_text(sized.seconds) == "about 24 s"


def test_without_history_steps_are_counted(world):
    flow, ghl, app = world
    failed(flow, 10)
    loads = {
        load.connection: load.calls
        for load in retrying.estimate(Run.objects.filter(flow=flow)).apps
    }
    assert loads == {app: 20, ghl: 10}  # a record step: look up + write; a plain step: one


def test_the_confirm_page_shows_the_estimate(client, operator, world):
    flow, ghl, app = world
    failed(flow, 600)
    client.force_login(operator)
    page = client.get(reverse("dashboard:retry_all"), {"status": "failed"}).content.decode()
    assert '<strong id="retry-count">600</strong>' in page
    assert "Your App" in page and "5 calls per 1 s" in page and "95 calls per 10 s" in page
    assert "about 4 min" in page  # 1,200 calls to Your App at 5 per second
    assert Run.objects.count() == 600  # a GET changes nothing


def test_retry_all_is_a_batch_followed_and_cancelled(client, operator, world):
    flow, _, _ = world
    originals = failed(flow, 3)
    client.force_login(operator)
    response = client.post(reverse("dashboard:retry_all"), {"status": "failed"}, follow=True)
    assert "3 runs queued for retry." in response.content.decode()
    batch = RetryBatch.objects.get()
    assert batch.total == 3 and batch.queued == 3 and batch.status == "queued"
    assert set(Run.objects.filter(trigger="retry").values_list("retry_of", flat=True)) == {
        r.pk for r in originals
    }
    page = response.content.decode()
    assert 'id="retry-progress"' in page and 'hx-trigger="every 2s"' in page
    assert "0 succeeded" in page and "3 waiting" in page

    # One retry finishes; the rest are cancelled.
    first = Run.objects.filter(trigger="retry").first()
    Run.objects.filter(pk=first.pk).update(status=RunStatus.SUCCEEDED)
    response = client.post(reverse("dashboard:retry_cancel", args=[batch.code]), follow=True)
    assert "2 waiting runs cancelled" in response.content.decode()
    assert Run.objects.filter(trigger="retry", status="cancelled").count() == 2
    progress = client.get(reverse("dashboard:retry_progress", args=[batch.code]))
    assert progress.status_code == 286  # nothing moves any more: polling stops
    assert "1 succeeded" in progress.content.decode() and "Cancelled" in progress.content.decode()
    assert AuditEntry.objects.filter(action="run.retry_cancelled").exists()


def test_a_cancel_stops_the_worker_between_chunks(operator, world, workspace):
    flow, _, _ = world
    failed(flow, retrying.CHUNK * 3)
    batch = retrying.start(Run.objects.filter(flow=flow), operator, workspace)
    queued = retrying.queue(batch.pk, on_chunk=lambda: retrying.cancel(batch, operator))
    assert queued == retrying.CHUNK
    batch.refresh_from_db()
    assert batch.status == "cancelled" and batch.queued == retrying.CHUNK
    assert Run.objects.filter(trigger="retry").count() == retrying.CHUNK


def test_ownership_and_roles(client, operator, viewer, outsider, world, workspace):
    flow, _, _ = world
    failed(flow, 1)
    batch = retrying.start(Run.objects.filter(flow=flow), operator, workspace)
    client.force_login(outsider)
    assert client.get(reverse("dashboard:retry_progress", args=[batch.code])).status_code == 404
    assert client.post(reverse("dashboard:retry_cancel", args=[batch.code])).status_code == 404
    client.force_login(viewer)
    # Still queueing (no worker ran): the card keeps polling.
    assert client.get(reverse("dashboard:retry_progress", args=[batch.code])).status_code == 200
    assert client.post(reverse("dashboard:retry_cancel", args=[batch.code])).status_code == 403
    batch.refresh_from_db()
    assert batch.status == "queueing"
