"""The live overview: a poll that finds nothing new answers 204 after one cheap query (also
at 100,000 runs); a new failure, a finished run, a dismissed failure or a paused
integration changes the version, and the answer carries the new cards, "needs attention"
and the navigation's failures count out of band."""

from __future__ import annotations

import re

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations import lifecycle, live
from integrations.models import (
    Connection,
    Flow,
    Integration,
    Run,
    RunStatus,
    TriggerKind,
)
from integrations.sync import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)


@pytest.fixture
def flow(workspace):
    c = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    c.credentials = {"pit": "x" * 20}
    c.save()
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    return Flow.objects.create(
        integration=integration,
        name="contacts",
        source=c,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactUpdate"]},
    )


def run(flow, status=RunStatus.SUCCEEDED, **fields):
    return Run.objects.create(
        workspace=flow.integration.workspace, flow=flow, status=status, attempt=1, **fields
    )


def poller_version(html: str) -> str:
    match = re.search(r'id="live".*?\?v=([0-9a-f]*)', html, re.S)
    assert match, html[:500]
    return match.group(1)


def test_the_page_carries_the_version_and_the_nav_count(client, operator, workspace, flow):
    run(flow, RunStatus.FAILED, error="boom")
    client.force_login(operator)
    html = client.get("/").content.decode()
    assert poller_version(html) == live.snapshot(workspace).version
    assert 'data-every="3000"' in html and "overview=1" in html
    assert re.search(r'id="nav-failures"[^>]*>1</span>', html)
    # Other pages poll the navigation counts only, and more slowly.
    html = client.get("/runs/").content.decode()
    assert 'data-every="15000"' in html and "overview=1" not in html


def test_an_unchanged_poll_is_204(client, operator, workspace, flow):
    run(flow)
    client.force_login(operator)
    version = live.snapshot(workspace).version
    response = client.get(f"/live/?v={version}&overview=1")
    assert response.status_code == 204 and response.content == b""


def test_a_new_failure_changes_the_overview(client, operator, workspace, flow):
    run(flow)
    client.force_login(operator)
    version = live.snapshot(workspace).version
    run(flow, RunStatus.FAILED, error="HighLevel answered 422: email is invalid")
    response = client.get(f"/live/?v={version}&overview=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert poller_version(html) == live.snapshot(workspace).version != version
    assert re.search(r'id="nav-failures" class="nav-count" hx-swap-oob="true"[^>]*>1</span>', html)
    assert 'id="overview-live" hx-swap-oob="true"' in html
    assert "email is invalid" in html
    assert "Failed (1)" in html  # the chart comes along
    # Off the overview only the count comes back.
    html = client.get(f"/live/?v={version}").content.decode()
    assert "nav-failures" in html and "overview-live" not in html


@pytest.mark.parametrize(
    "change",
    ["finish", "dismiss", "retry", "pause", "connection", "new_flow"],
)
def test_what_changes_the_version(workspace, operator, flow, change):
    queued = run(flow, RunStatus.QUEUED)
    failed = run(flow, RunStatus.FAILED)
    before = live.snapshot(workspace)
    if change == "finish":
        Run.objects.filter(pk=queued.pk).update(status=RunStatus.SUCCEEDED)
    elif change == "dismiss":
        Run.objects.filter(pk=failed.pk).update(dismissed=True)
    elif change == "retry":
        Run.objects.filter(pk=queued.pk).update(status=RunStatus.RUNNING)
    elif change == "pause":
        lifecycle.pause(flow.integration, operator, "maintenance")
    elif change == "connection":
        flow.source.mark_failing("down")
    else:
        Flow.objects.create(
            integration=flow.integration, name="tasks", source=flow.source, trigger_kind="manual"
        )
    after = live.snapshot(workspace)
    assert after.version != before.version
    assert after.failures == (0 if change == "dismiss" else 1)


def test_another_workspace_does_not_change_the_version(workspace, flow, outsider):
    before = live.snapshot(workspace).version
    other = outsider.memberships.get().workspace
    c = Connection.objects.create(workspace=other, kind="ghl", auth_method="pit")
    integration = Integration.objects.create(workspace=other, name="theirs")
    theirs = Flow.objects.create(integration=integration, name="x", source=c, trigger_kind="manual")
    run(theirs, RunStatus.FAILED)
    assert live.snapshot(workspace).version == before


def copies(template: Run, count: int) -> None:
    """`count` copies of a run, one in ten failed, in one INSERT … SELECT (seconds faster
    than building the objects)."""
    columns = [
        f.column
        for f in Run._meta.concrete_fields
        if f.column not in ("id", "code", "status", "dedupe_key")
    ]
    names = ", ".join(columns)
    if db.vendor == "sqlite":
        series = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s)"
        new_code, source = "lower(hex(randomblob(16)))", "s"
    else:
        series = ""
        new_code, source = "gen_random_uuid()", "generate_series(1, %s) AS s(n)"
    sql = (
        f"{series} INSERT INTO integrations_run ({names}, code, status, dedupe_key) "
        f"SELECT {names}, {new_code}, "
        "CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'succeeded' END, '' "
        f"FROM integrations_run, {source} WHERE integrations_run.id = %s"
    )
    with db.cursor() as cursor:
        cursor.execute(sql.replace("%", "%%").replace("%%s", "%s"), [count, template.pk])


def test_a_poll_at_100000_runs_is_one_cheap_query(client, operator, workspace, flow):
    copies(run(flow), 100_000 - 1)
    assert Run.objects.filter(workspace=workspace).count() == 100_000
    client.force_login(operator)
    version = live.snapshot(workspace).version
    client.get("/team/")  # the session and membership are warm
    with CaptureQueriesContext(db) as baseline:
        client.get("/live/?v=not-this-one")  # renders the count only, no overview
    with CaptureQueriesContext(db) as queries:
        response = client.get(f"/live/?v={version}&overview=1")
    assert response.status_code == 204
    touching_runs = [q["sql"] for q in queries if "integrations_run" in q["sql"]]
    assert len(touching_runs) == 1, touching_runs
    # The poll's other queries are the request's own (session, user, membership).
    assert len(queries) == len(baseline)
    if db.vendor == "sqlite":
        with db.cursor() as cursor:
            sql = touching_runs[0]
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = [row[-1] for row in cursor.fetchall()]
        full_scans = [p for p in plan if p.startswith("SCAN") and "INDEX" not in p]
        assert not full_scans, plan


def test_it_needs_a_login_and_valid_input(client, operator):
    assert client.get("/live/").status_code == 302
    client.force_login(operator)
    assert client.get("/live/?v=" + "x" * 200).status_code == 400
    assert client.get("/live/?overview=1&range=1y").status_code == 400
    assert client.get("/live/").status_code == 200


def test_an_open_conflict_changes_the_version_and_its_count(client, operator, workspace, flow):
    from integrations.models import Conflict, ConflictStatus, Policy, RecordLink

    client.force_login(operator)
    before = live.snapshot(workspace)
    link = RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=flow.source,
        left_record="c1",
        right=flow.source,
        right_record="c2",
    )
    conflict = Conflict.objects.create(
        workspace=workspace,
        integration=flow.integration,
        link=link,
        field="phone",
        left_field="phone",
        right_field="phone",
        policy=Policy.ASK,
    )
    after = live.snapshot(workspace)
    assert after.conflicts == 1 and after.version != before.version
    html = client.get(f"/live/?v={before.version}").content.decode()
    assert re.search(r'id="nav-conflicts" class="nav-count" hx-swap-oob="true"[^>]*>1</span>', html)
    Conflict.objects.filter(pk=conflict.pk).update(status=ConflictStatus.RESOLVED)
    assert live.snapshot(workspace).conflicts == 0
