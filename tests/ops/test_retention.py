"""Retention keeps what is still needed and deletes the rest, in batches."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations import retention
from integrations.models import (
    Conflict,
    ConflictStatus,
    Connection,
    LedgerEntry,
    RecordLink,
    Run,
    RunEvent,
    RunStatus,
    RunStep,
    WebhookEvent,
    WebhookStatus,
)
from tests.alerts.conftest import connection, flow, make_run  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def aged(obj, days: int, field: str = "created") -> None:
    type(obj).objects.filter(pk=obj.pk).update(**{field: timezone.now() - timedelta(days=days)})


def old_run(flow, status: str, days: int = 40, **fields) -> Run:  # noqa: F811
    run = make_run(flow, status, **fields)
    RunStep.objects.create(run=run, method="GET", url="https://x.test/", response_status=200)
    RunStep.objects.create(run=run, method="PUT", url="https://x.test/", response_status=200)
    RunEvent.objects.create(run=run, message="line")
    aged(run, days)
    return run


def test_old_runs_go_with_their_steps_and_what_is_needed_stays(workspace, flow):  # noqa: F811
    gone = [old_run(flow, RunStatus.SUCCEEDED) for _ in range(5)]
    gone.append(old_run(flow, RunStatus.FAILED, dismissed=True))
    gone.append(old_run(flow, RunStatus.SKIPPED))
    open_failure = old_run(flow, RunStatus.FAILED)
    recent = old_run(flow, RunStatus.SUCCEEDED, days=2)
    in_flight = old_run(flow, RunStatus.QUEUED)
    disputed = old_run(flow, RunStatus.SUCCEEDED)
    other = Connection.objects.create(workspace=workspace, kind="rest", auth_method="api_key")
    link = RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=flow.source,
        left_record="c-1",
        right=other,
        right_record="r-1",
        last_run=gone[0],
    )
    Conflict.objects.create(
        workspace=workspace,
        integration=flow.integration,
        link=link,
        field="phone",
        left_field="phone",
        right_field="phone",
        policy="ask",
        status=ConflictStatus.OPEN,
        left_run=disputed,
    )
    entry = LedgerEntry.objects.create(
        workspace=workspace, link=link, run=gone[1], kind="write", changes={"phone": ["1", "2"]}
    )

    dry = retention.prune(dry_run=True, batch=2)
    assert (dry.runs, dry.steps, dry.log_lines) == (len(gone), 2 * len(gone), len(gone))
    assert Run.objects.count() == len(gone) + 4  # a dry run deletes nothing

    result = retention.prune(batch=2)  # several batches
    assert (result.runs, result.steps, result.log_lines) == (len(gone), 2 * len(gone), len(gone))
    left = set(Run.objects.values_list("pk", flat=True))
    assert left == {open_failure.pk, recent.pk, in_flight.pk, disputed.pk}
    assert not RunStep.objects.filter(run_id__in=[r.pk for r in gone]).exists()
    # The link and the ledger entry stay; the entry keeps its change, its run goes empty.
    link.refresh_from_db()
    entry.refresh_from_db()
    assert link.last_run_id is None
    assert entry.run_id is None and entry.changes == {"phone": ["1", "2"]}
    assert retention.prune().runs == 0  # nothing more to do


def test_webhook_events_and_ledger_entries_have_their_own_ages(workspace, flow):  # noqa: F811
    def event(status: str, days: int) -> WebhookEvent:
        row = WebhookEvent.objects.create(
            workspace=workspace,
            source_kind="ghl",
            status=status,
            signature_verdict="valid_ed25519",
            raw_body="{}",
        )
        aged(row, days, "received_at")
        return row

    old_processed = event(WebhookStatus.PROCESSED, 40)
    old_rejected = event(WebhookStatus.REJECTED, 40)
    old_pending = event(WebhookStatus.RECEIVED, 40)  # not processed yet: kept
    young = event(WebhookStatus.PROCESSED, 3)
    run = old_run(flow, RunStatus.FAILED, webhook_event=old_processed)  # an open failure

    other = Connection.objects.create(workspace=workspace, kind="rest", auth_method="api_key")
    link = RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=flow.source,
        left_record="c-2",
        right=other,
        right_record="r-2",
    )
    old_entry = LedgerEntry.objects.create(workspace=workspace, link=link, kind="write")
    aged(old_entry, 400)
    kept_entry = LedgerEntry.objects.create(workspace=workspace, link=link, kind="write")
    aged(kept_entry, 100)

    out = StringIO()
    call_command("prune_history", stdout=out)
    report = json.loads(out.getvalue())["deleted"]
    assert report["webhook_events"] == 2 and report["ledger_entries"] == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_pending.pk, young.pk}
    assert not WebhookEvent.objects.filter(pk__in=[old_processed.pk, old_rejected.pk]).exists()
    run.refresh_from_db()
    assert run.webhook_event_id is None and run.payload is not None  # still retryable
    assert list(LedgerEntry.objects.values_list("pk", flat=True)) == [kept_entry.pk]


def test_the_command_refuses_nonsense(db):
    with pytest.raises(Exception, match="0 .keep all. or more"):
        call_command("prune_history", "--run-days", "-1")
    with pytest.raises(Exception, match="between 1 and"):
        call_command("prune_history", "--batch", "0")
