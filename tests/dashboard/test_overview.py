"""Overview: health rules, cards, "needs attention", charts, pause / resume / run now, CSV
export; ownership (404 for outsiders) and roles (403, no buttons)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.views.overview import chart
from integrations import stats
from integrations.models import (
    Connection,
    ConnectionStatus,
    Flow,
    Integration,
    IntegrationStatus,
    Run,
    RunStatus,
    RunStep,
    TriggerKind,
)
from integrations.sync import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sent(monkeypatch):
    """Runs sent to the broker (nothing is really sent)."""
    out: list[int] = []
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: out.append(run_id))
    return out


@pytest.fixture
def connection(workspace):
    c = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    c.credentials = {"pit": "x" * 20}
    c.save()
    return c


@pytest.fixture
def flow(workspace, connection):
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    return Flow.objects.create(
        integration=integration,
        name="contacts",
        source=connection,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactUpdate"]},
    )


def make_run(flow, status=RunStatus.SUCCEEDED, ago=timedelta(minutes=5), **fields):
    defaults = {
        "workspace": flow.integration.workspace,
        "flow": flow,
        "status": status,
        "event_type": "ContactUpdate",
        "record_id": "c-1",
        "record_label": "Ada <ada@example.com>",
        "attempt": 1,
    }
    defaults.update(fields)
    run = Run.objects.create(**defaults)
    Run.objects.filter(pk=run.pk).update(created=timezone.now() - ago)
    run.refresh_from_db()
    return run


def summary(workspace):
    (item,) = stats.overview(workspace)
    return item


# --- health rules -----------------------------------------------------------------------


def test_a_new_integration_is_healthy(workspace, flow):
    item = summary(workspace)
    assert item.health == stats.Health.HEALTHY
    assert item.counts.error_rate is None and item.backlog == 0 and item.last_success is None


def test_error_rate_and_backlog(workspace, flow):
    for _ in range(18):
        make_run(flow)
    make_run(flow, RunStatus.FAILED, error="HighLevel answered 422: email is invalid")
    make_run(flow, RunStatus.FAILED, ago=timedelta(hours=30))  # older than 24 h
    make_run(flow, RunStatus.QUEUED)
    make_run(flow, RunStatus.RETRYING)
    make_run(flow, RunStatus.RUNNING)
    item = summary(workspace)
    assert item.counts.total == 22
    assert (item.counts.succeeded, item.counts.failed) == (18, 1)
    assert item.counts.error_rate == pytest.approx(1 / 19)
    assert item.error_percent == 5
    assert item.backlog == 2
    assert item.health == stats.Health.DEGRADED
    assert "email is invalid" in item.last_error.error
    assert item.last_success is not None


def test_it_is_failing_at_half_errors(workspace, flow):
    make_run(flow)
    make_run(flow, RunStatus.FAILED)
    assert summary(workspace).health == stats.Health.DEGRADED  # too few runs to say failing
    make_run(flow, RunStatus.FAILED)
    item = summary(workspace)
    assert item.health == stats.Health.FAILING
    assert "67% of runs failed" in item.reasons[0]


def test_it_is_failing_when_a_breaker_is_open_or_a_connection_fails(workspace, flow, connection):
    connection.breaker_open_until = timezone.now() + timedelta(minutes=5)
    connection.save()
    assert summary(workspace).health == stats.Health.FAILING
    connection.breaker_open_until = timezone.now() - timedelta(minutes=5)
    connection.status = ConnectionStatus.FAILING
    connection.save()
    assert summary(workspace).health == stats.Health.FAILING
    connection.status = ConnectionStatus.ACTIVE
    connection.save()
    assert summary(workspace).health == stats.Health.HEALTHY


def test_it_is_degraded_with_a_big_backlog(workspace, flow):
    for _ in range(stats.BACKLOG_DEGRADED):
        make_run(flow, RunStatus.QUEUED)
    assert summary(workspace).health == stats.Health.DEGRADED


def test_needs_reauth_wins_over_paused(workspace, flow, connection):
    flow.integration.status = IntegrationStatus.PAUSED
    flow.integration.save()
    assert summary(workspace).health == stats.Health.PAUSED
    connection.mark_needs_reauth("HighLevel answered 401")
    assert summary(workspace).health == stats.Health.NEEDS_REAUTH


def test_ghl_budget_counts_recent_calls(workspace, flow, settings):
    run = make_run(flow)
    for _ in range(3):
        RunStep.objects.create(run=run, method="GET", url=settings.GHL_API_BASE_URL + "/contacts/")
    old = RunStep.objects.create(run=run, method="GET", url=settings.GHL_API_BASE_URL + "/x")
    RunStep.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(minutes=1))
    RunStep.objects.create(run=run, method="GET", url="https://example.com/other")
    assert summary(workspace).ghl_calls == 3


def test_queries_do_not_grow_with_integrations(
    workspace, flow, connection, django_assert_num_queries
):
    make_run(flow, RunStatus.FAILED)
    with django_assert_num_queries(12) as first:
        stats.overview(workspace)
    for i in range(5):
        integration = Integration.objects.create(workspace=workspace, name=f"More {i}")
        more = Flow.objects.create(
            integration=integration, name="f", source=connection, trigger_kind=TriggerKind.POLL
        )
        make_run(more, RunStatus.FAILED)
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(stats.overview(workspace)) == 6


def test_it_lists_what_needs_attention(workspace, flow, connection):
    for _ in range(3):
        make_run(flow, RunStatus.FAILED)
    other = Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id="loc2", label="Second"
    )
    other.mark_needs_reauth("refused")
    connection.breaker_open_until = timezone.now() + timedelta(minutes=5)
    connection.save()
    flow.integration.status = IntegrationStatus.PAUSED
    flow.integration.save()
    items = stats.overview(workspace)
    kinds = [a.kind for a in stats.attention(workspace, items)]
    assert kinds == ["failing_flow", "needs_reauth", "breaker_open", "paused"]


# --- charts -----------------------------------------------------------------------------


def test_buckets_for_24h_are_hourly(workspace, flow):
    now = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
    make_run(flow, ago=timezone.now() - (now - timedelta(minutes=10)))  # 12:20 → bucket 12:00
    make_run(flow, RunStatus.FAILED, ago=timezone.now() - (now - timedelta(minutes=10)))
    make_run(flow, attempt=2, ago=timezone.now() - (now - timedelta(hours=3)))  # 09:30
    make_run(flow, trigger="retry", ago=timezone.now() - (now - timedelta(hours=3)))
    make_run(flow, ago=timezone.now() - (now - timedelta(hours=25)))  # outside
    make_run(flow, RunStatus.QUEUED, ago=timezone.now() - (now - timedelta(minutes=5)))
    buckets, unit = stats.runs_over_time(flow.integration.workspace, "24h", now=now)
    assert unit == "hour" and len(buckets) == 24
    assert buckets[-1].start == datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert buckets[0].start == datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert (buckets[-1].succeeded, buckets[-1].failed, buckets[-1].retried) == (1, 1, 0)
    assert (buckets[-4].succeeded, buckets[-4].retried) == (0, 2)
    assert sum(b.total for b in buckets) == 4


def test_buckets_for_7d_and_30d_are_daily(workspace, flow):
    now = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
    for days, status in ((0, RunStatus.SUCCEEDED), (2, RunStatus.FAILED), (2, RunStatus.FAILED)):
        make_run(flow, status, ago=timezone.now() - (now - timedelta(days=days)))
    make_run(flow, ago=timezone.now() - (now - timedelta(days=20)))
    week, unit = stats.runs_over_time(workspace, "7d", now=now)
    assert unit == "day" and len(week) == 7
    assert week[-1].start == datetime(2026, 3, 10, tzinfo=UTC)
    assert (week[-1].succeeded, week[-3].failed) == (1, 2)
    assert sum(b.total for b in week) == 3
    month, _ = stats.runs_over_time(workspace, "30d", now=now)
    assert len(month) == 30 and sum(b.total for b in month) == 4
    assert month[-21].succeeded == 1
    other = Integration.objects.create(workspace=workspace, name="Other")
    empty, _ = stats.runs_over_time(workspace, "30d", integration=other, now=now)
    assert sum(b.total for b in empty) == 0


def test_chart_geometry_stacks_bars():
    start = datetime(2026, 3, 10, tzinfo=UTC)
    shapes = chart([stats.Bucket(start, succeeded=6, retried=2, failed=2)], "day")
    heights = {r.series: r.height for r in shapes["rects"]}
    assert heights["succeeded"] == pytest.approx(3 * heights["failed"])
    assert [t.label for t in shapes["yticks"]] == ["0", "5", "10"]


# --- pages ------------------------------------------------------------------------------


def test_it_shows_empty_state(client, owner):
    client.force_login(owner)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Overview · Syncdeck</title>" in page
    assert "Nothing to watch yet" in page and reverse("dashboard:connections") in page


def test_it_shows_cards_chart_and_attention(client, owner, flow):
    for _ in range(3):
        make_run(flow, RunStatus.FAILED, error="HighLevel answered 422: email is invalid")
    make_run(flow, RunStatus.QUEUED)
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert f'id="integration-{flow.integration.code}"' in page
    assert "badge-health-failing" in page and "Needs attention" in page
    assert "contacts is failing" in page and "email is invalid" in page
    assert "1 run queued or retrying" in page
    assert "<svg" in page and "bar-failed" in page and "Succeeded (0)" in page
    assert "calls in the last 10 s" in page
    assert "pause-btn" in page and "run-now" in page
    for key in ("24h", "7d", "30d"):
        assert client.get("/", {"range": key}).status_code == 200
    assert client.get("/", {"range": "bogus"}).status_code == 200


def test_charts_page(client, owner, flow):
    make_run(flow)
    client.force_login(owner)
    page = client.get(reverse("dashboard:charts"), {"range": "7d"}).content.decode()
    assert "runs per day" in page and "Succeeded (1)" in page
    url = reverse("dashboard:charts")
    page = client.get(url, {"integration": str(flow.integration.code)}).content.decode()
    assert "runs per hour" in page and "GHL → CRM" in page
    assert client.get(url, {"integration": str(uuid.uuid4())}).status_code == 404
    assert client.get(url, {"integration": "nope"}).status_code == 404


def test_viewer_sees_no_buttons_and_may_not_act(client, viewer, flow):
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert "pause-btn" not in page and "run-now" not in page
    code = flow.integration.code
    for url in (
        reverse("dashboard:integration_pause", args=[code]),
        reverse("dashboard:integration_resume", args=[code]),
        reverse("dashboard:flow_run_now", args=[flow.code]),
    ):
        assert client.post(url).status_code == 403
    assert client.get(reverse("dashboard:runs_export")).status_code == 200


def test_outsiders_get_404(client, outsider, flow):
    client.force_login(outsider)
    for url in (
        reverse("dashboard:integration_pause", args=[flow.integration.code]),
        reverse("dashboard:integration_resume", args=[flow.integration.code]),
        reverse("dashboard:flow_run_now", args=[flow.code]),
    ):
        assert client.post(url).status_code == 404
    url = reverse("dashboard:charts")
    assert client.get(url, {"integration": str(flow.integration.code)}).status_code == 404
    assert "GHL → CRM" not in client.get("/").content.decode()


def test_anonymous_is_sent_to_login(client, flow):
    assert client.get("/").status_code == 302
    assert client.get(reverse("dashboard:runs_export")).status_code == 302


def test_get_is_not_allowed_on_actions(client, operator, flow):
    client.force_login(operator)
    url = reverse("dashboard:integration_pause", args=[flow.integration.code])
    assert client.get(url).status_code == 405


# --- pause, resume, run now -------------------------------------------------------------


def test_pause_keeps_runs_queued_and_resume_sends_them(
    client, operator, flow, sent, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    response = client.post(reverse("dashboard:integration_pause", args=[flow.integration.code]))
    assert response.status_code == 302 and response["Location"] == "/"
    flow.integration.refresh_from_db()
    assert flow.integration.status == IntegrationStatus.PAUSED
    first = dispatch.create_run(flow, {"id": "c-1"}, trigger="webhook")
    second = dispatch.create_run(flow, {"id": "c-2"}, trigger="webhook")
    assert sent == []  # paused: stored, queued, not sent
    assert Run.objects.get(pk=first.pk).status == RunStatus.QUEUED
    page = client.get("/").content.decode()
    assert "badge-health-paused" in page and "resume-btn" in page
    assert "2 runs waiting" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dashboard:integration_resume", args=[flow.integration.code]), follow=True
        )
    assert sent == [first.pk, second.pk]
    assert "resumed: 2 waiting runs sent." in response.content.decode()
    flow.integration.refresh_from_db()
    assert flow.integration.status == IntegrationStatus.ACTIVE
    actions = list(flow.integration.workspace.audit.order_by("pk").values_list("action", flat=True))
    assert actions == ["integration.paused", "integration.resumed"]


def test_run_now(client, operator, flow, monkeypatch):
    from integrations.sync import polling

    flow.trigger_kind = TriggerKind.POLL
    flow.save()
    polled: list[int] = []
    monkeypatch.setattr(polling, "poll", lambda flow_id: polled.append(flow_id) or 3)
    client.force_login(operator)
    url = reverse("dashboard:flow_run_now", args=[flow.code])
    assert client.post(url).status_code == 400  # not confirmed: nothing runs
    assert polled == []
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert polled == [flow.pk]
    assert "contacts: 3 runs queued." in response.content.decode()
    assert flow.integration.workspace.audit.filter(action="flow.run_now").exists()


# --- CSV export -------------------------------------------------------------------------


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_csv(client, viewer, flow, workspace, connection):
    ok = make_run(flow, record_id="rec-ada", record_label="Ada <ada@example.com>")
    Run.objects.filter(pk=ok.pk).update(
        started_at=ok.created, finished_at=ok.created + timedelta(milliseconds=250)
    )
    make_run(
        flow,
        RunStatus.FAILED,
        record_id="rec-bob",
        record_label="=HYPERLINK(bob)",
        error_kind="validation",
        error="HighLevel answered 422: email is invalid",
        ago=timedelta(days=3),
    )
    other = Integration.objects.create(workspace=workspace, name="Tasks")
    tasks = Flow.objects.create(
        integration=other, name="tasks", source=connection, trigger_kind=TriggerKind.POLL
    )
    make_run(tasks, record_id="task-1", record_label="Call back")
    client.force_login(viewer)
    url = reverse("dashboard:runs_export")
    rows = read_csv(client.get(url))
    assert rows[0] == [
        "created",
        "integration",
        "flow",
        "trigger",
        "event",
        "record id",
        "record label",
        "status",
        "attempt",
        "duration ms",
        "error kind",
        "error",
    ]
    assert rows[-1][5] == "rec-bob"  # newest first
    by_id = {r[5]: r for r in rows[1:]}
    assert set(by_id) == {"rec-ada", "rec-bob", "task-1"}
    assert by_id["rec-ada"][1:4] == ["GHL → CRM", "contacts", "webhook"]
    assert by_id["rec-ada"][9] == "250"
    assert by_id["rec-bob"][6] == "'=HYPERLINK(bob)"  # no formula injection
    assert by_id["rec-bob"][7:] == ["failed", "1", "", "validation", by_id["rec-bob"][11]]
    assert "email is invalid" in by_id["rec-bob"][11]

    def ids(**query):
        return {r[5] for r in read_csv(client.get(url, query))[1:]}

    assert ids(status="failed") == {"rec-bob"}
    assert ids(range="24h") == {"rec-ada", "task-1"}
    assert ids(integration=str(other.code)) == {"task-1"}
    assert ids(q="ADA@") == {"rec-ada"}
    assert ids(flow=str(uuid.uuid4())) == {"rec-ada", "rec-bob", "task-1"}  # invalid: ignored


def test_export_is_scoped_to_the_workspace(client, outsider, flow):
    make_run(flow, record_id="secret-1")
    client.force_login(outsider)
    rows = read_csv(client.get(reverse("dashboard:runs_export")))
    assert len(rows) == 1
