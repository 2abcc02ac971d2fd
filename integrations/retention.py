"""Retention: old runs, their steps and log lines, old webhook events and old ledger
entries are deleted in batches, by a daily beat task and `manage.py prune_history`.

A retention of 0 days keeps everything of that kind. Kept whatever their age: a failed
run nobody dismissed (an open failure: it can still be retried), a run an open conflict
points at (its values are what the operator compares), and a webhook event not processed
yet. Record links are never pruned (a record's identity
across apps); a pruned run's ledger entries keep their before → after (the run link goes
empty), and ledger entries have their own, longer, retention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.models import (
    FINISHED_STATUSES,
    Conflict,
    ConflictStatus,
    LedgerEntry,
    Run,
    RunEvent,
    RunStatus,
    RunStep,
    WebhookEvent,
    WebhookStatus,
)

_DONE_EVENTS = [
    WebhookStatus.PROCESSED,
    WebhookStatus.IGNORED,
    WebhookStatus.DUPLICATE,
    WebhookStatus.REJECTED,
]


@dataclass
class Pruned:
    runs: int = 0
    steps: int = 0
    log_lines: int = 0
    webhook_events: int = 0
    ledger_entries: int = 0
    cutoffs: dict[str, str] = field(default_factory=dict)


def prunable_runs(cutoff: timezone.datetime) -> QuerySet[Run]:
    open_conflicts = Conflict.objects.filter(status=ConflictStatus.OPEN)
    kept_by_conflicts = set()
    for column in ("left_run_id", "right_run_id"):
        kept_by_conflicts.update(
            open_conflicts.filter(**{f"{column}__isnull": False}).values_list(column, flat=True)
        )
    runs = (
        Run.objects.filter(created__lt=cutoff, status__in=FINISHED_STATUSES)
        .exclude(status=RunStatus.FAILED, dismissed=False)
        .exclude(pk__in=kept_by_conflicts)
    )
    return runs


def _batches(queryset: QuerySet, batch: int):  # type: ignore[no-untyped-def]
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield ids


def prune(
    *,
    run_days: int | None = None,
    webhook_days: int | None = None,
    ledger_days: int | None = None,
    batch: int | None = None,
    dry_run: bool = False,
) -> Pruned:
    now = timezone.now()
    run_days = settings.RUN_RETENTION_DAYS if run_days is None else run_days
    webhook_days = settings.WEBHOOK_RETENTION_DAYS if webhook_days is None else webhook_days
    ledger_days = settings.LEDGER_RETENTION_DAYS if ledger_days is None else ledger_days
    batch = batch or settings.PRUNE_BATCH_SIZE
    result = Pruned()
    run_cutoff = now - timedelta(days=run_days)
    event_cutoff = now - timedelta(days=webhook_days)
    ledger_cutoff = now - timedelta(days=ledger_days)
    result.cutoffs = {
        "runs": run_cutoff.isoformat(),
        "webhook_events": event_cutoff.isoformat(),
        "ledger_entries": ledger_cutoff.isoformat(),
    }
    # A retention of 0 days (or less) keeps everything of that kind.
    runs = prunable_runs(run_cutoff) if run_days > 0 else Run.objects.none()
    events = (
        WebhookEvent.objects.filter(received_at__lt=event_cutoff, status__in=_DONE_EVENTS)
        if webhook_days > 0
        else WebhookEvent.objects.none()
    )
    ledger = (
        LedgerEntry.objects.filter(created__lt=ledger_cutoff)
        if ledger_days > 0
        else LedgerEntry.objects.none()
    )
    if dry_run:
        result.runs = runs.count()
        result.steps = RunStep.objects.filter(run__in=runs).count()
        result.log_lines = RunEvent.objects.filter(run__in=runs).count()
        result.webhook_events = events.count()
        result.ledger_entries = ledger.count()
        return result
    for ids in _batches(runs, batch):
        with transaction.atomic():
            result.steps += RunStep.objects.filter(run_id__in=ids)._raw_delete(Run.objects.db)
            result.log_lines += RunEvent.objects.filter(run_id__in=ids)._raw_delete(Run.objects.db)
            result.runs += Run.objects.filter(pk__in=ids).delete()[1].get("integrations.Run", 0)
    for ids in _batches(events, batch):
        with transaction.atomic():
            deleted = WebhookEvent.objects.filter(pk__in=ids).delete()[1]
            result.webhook_events += deleted.get("integrations.WebhookEvent", 0)
    for ids in _batches(ledger, batch):
        with transaction.atomic():
            deleted = LedgerEntry.objects.filter(pk__in=ids).delete()[1]
            result.ledger_entries += deleted.get("integrations.LedgerEntry", 0)
    return result
