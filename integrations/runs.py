"""What operators do to runs: retry one, retry all failures of a filter, replay an event,
dismiss. A retry is a new Run pointing at the one it retries; history is never rewritten."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from integrations.models import AuditEntry, Run, RunStatus, WebhookEvent
from integrations.sync.dispatch import create_run, dispatch_webhook_event


def retry(run: Run, user: Any) -> Run | None:
    """Queue a new run for a failed one; None when it is not (or no longer) retryable."""
    with transaction.atomic():
        # Lock the row first so two clicks cannot both create a retry.
        Run.objects.select_for_update().filter(pk=run.pk).values_list("pk", flat=True).get()
        if not retryable(Run.objects.filter(pk=run.pk)).exists():
            return None
        new = create_run(
            run.flow,
            run.payload,
            trigger="retry",
            event_type=run.event_type,
            webhook_event=run.webhook_event,
            retry_of=run,
        )
        AuditEntry.record(run.workspace, user, "run.retried", str(run.code))
    return new


def retryable(runs: QuerySet[Run]) -> QuerySet[Run]:
    """Failed, not dismissed, and not already retried by an operator."""
    return runs.filter(status=RunStatus.FAILED, dismissed=False, retries__isnull=True)


def retry_all(runs: QuerySet[Run], user: Any, workspace: Any) -> int:
    count = 0
    with transaction.atomic():
        for run in retryable(runs).select_related("flow__integration", "webhook_event"):
            if create_run(
                run.flow,
                run.payload,
                trigger="retry",
                event_type=run.event_type,
                webhook_event=run.webhook_event,
                retry_of=run,
            ):
                count += 1
        AuditEntry.record(workspace, user, "run.retried_all", f"{count} runs")
    return count


def replay(event: WebhookEvent, user: Any) -> list[Run]:
    with transaction.atomic():
        runs = dispatch_webhook_event(event, replay=True)
        AuditEntry.record(event.workspace, user, "event.replayed", str(event.code), runs=len(runs))
    return runs


def dismiss(run: Run, user: Any) -> None:
    Run.objects.filter(pk=run.pk).update(dismissed=True)
    AuditEntry.record(run.workspace, user, "run.dismissed", str(run.code))
