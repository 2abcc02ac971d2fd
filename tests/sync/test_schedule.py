"""Scheduled syncs: a daily full sync re-checks every record, writes only what changed,
and mails a summary when its batch is done. Over real HTTP against both sandboxes."""

from __future__ import annotations

import pytest
import requests

from integrations import demo, lifecycle
from integrations.models import Backfill, Flow, Notification, Run, TriggerKind
from integrations.sync import polling
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def daily(ghl_sandbox, workspace):
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    ghl = pit_connection(workspace)
    yourapp = demo.yourapp_connection(workspace, base)
    integration = demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    flow = Flow.objects.create(
        integration=integration,
        name="Daily full sync",
        source=ghl,
        trigger_kind=TriggerKind.SCHEDULE,
        trigger_config={"every_minutes": 1440, "mode": "full", "summary_to": "ops@example.com"},
    )
    demo.sync_step(flow, yourapp)
    return flow


def test_daily_full_sync_writes_only_changes_and_sends_a_summary(daily):
    assert daily.pk in polling.due_flows()
    first = polling.poll(daily.pk)  # tasks run eagerly in tests
    assert first >= 50
    assert daily.pk not in polling.due_flows()  # next one in a day
    batch = Backfill.objects.get(flow=daily)
    assert batch.runs.count() == first
    assert set(batch.runs.values_list("status", flat=True)) == {"succeeded"}

    sent: list[int] = []
    assert lifecycle.finish_batches(sent.append) == 1
    note = Notification.objects.get(pk=sent[0])
    assert note.kind == "summary" and note.target == "ops@example.com"
    assert f"Records checked: {first}" in note.body and f"Written: {first}" in note.body

    # The next day: every record is checked again, none changed, so nothing is written.
    polling.PollCursor.objects.filter(flow=daily).update(next_poll_at=None)
    second = polling.poll(daily.pk)
    assert second == first
    batch2 = Backfill.objects.exclude(pk=batch.pk).get(flow=daily)
    assert set(batch2.runs.values_list("status", flat=True)) == {"skipped"}
    assert not Run.objects.filter(backfill=batch2, steps__isnull=False).exists()
    sent.clear()
    lifecycle.finish_batches(sent.append)
    body = Notification.objects.get(pk=sent[0]).body
    assert "Written: 0" in body and f"Unchanged (no write needed): {first}" in body
