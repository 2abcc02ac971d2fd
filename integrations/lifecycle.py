"""Pausing, resuming and running integrations now; backfills of existing records.

While an integration is paused its events are still stored and their runs created
(queued, not sent); resuming sends them, oldest first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations import bulk
from integrations.models import (
    AuditEntry,
    Backfill,
    Flow,
    Integration,
    IntegrationStatus,
    Notification,
    Run,
    RunStatus,
    TriggerKind,
)
from integrations.sync import dispatch


def pause(integration: Integration, user: Any, reason: str = "") -> None:
    Integration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.PAUSED,
        paused_reason=reason or "paused by an operator",
        paused_at=timezone.now(),
    )
    AuditEntry.record(integration.workspace, user, "integration.paused", integration.name)


def resume(integration: Integration, user: Any) -> int:
    """Resume and send every run that waited; returns how many were sent."""
    with transaction.atomic():
        Integration.objects.filter(pk=integration.pk).update(
            status=IntegrationStatus.ACTIVE, paused_reason="", paused_at=None
        )
        waiting = list(
            Run.objects.filter(
                flow__integration=integration,
                status__in=[RunStatus.QUEUED, RunStatus.RETRYING],
            )
            .order_by("created", "pk")
            .values_list("pk", flat=True)
        )
        AuditEntry.record(
            integration.workspace,
            user,
            "integration.resumed",
            integration.name,
            waiting=len(waiting),
        )
        for pk in waiting:
            transaction.on_commit(lambda pk=pk: dispatch.enqueue(pk))
    return len(waiting)


def backfillable(flow: Flow) -> bool:
    """Can this flow's source list its existing records (does its connector poll)?"""
    return flow.source.connector.can_poll()


def start_backfill(flow: Flow, user: Any) -> Backfill:
    """Create the backfill and send the task that lists the source's records page by page
    (`polling.fill_batch`, in a worker); nothing is read here.

    Raises BulkRefused for a flow that deletes: it must never run over every record.
    """
    from integrations.sync import polling

    bulk.check_allowed(flow)
    backfill = Backfill.objects.create(flow=flow, listing=True)
    AuditEntry.record(flow.workspace, user, "flow.backfill_started", flow.name)
    transaction.on_commit(lambda: polling.send_listing(backfill.pk))
    backfill.refresh_from_db()  # listed already when tasks run eagerly
    return backfill


def backfill_progress(backfill: Backfill) -> dict[str, Any]:
    """Done / total, rate and ETA, for the progress bar."""
    runs = backfill.runs.all()
    done = runs.filter(
        status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED, RunStatus.CANCELLED]
    ).count()
    failed = runs.filter(status=RunStatus.FAILED).count()
    total = backfill.total
    elapsed = max(0.001, (timezone.now() - backfill.started).total_seconds())
    rate = done / elapsed
    eta = (total - done) / rate if rate > 0 and done < total else 0.0
    listed = not backfill.listing
    if backfill.status == Backfill.Status.RUNNING and listed and total and done >= total:
        Backfill.objects.filter(pk=backfill.pk, status=Backfill.Status.RUNNING).update(
            status=Backfill.Status.DONE, finished=timezone.now()
        )
        backfill.status = Backfill.Status.DONE
    return {
        "done": done,
        "failed": failed,
        "total": total,
        "percent": int(100 * done / total) if total else 100,
        "rate": rate,
        "eta_seconds": eta,
        "finished": backfill.status != Backfill.Status.RUNNING,
        "listing": backfill.listing,
    }


def batch_summary(backfill: Backfill) -> dict[str, int]:
    counts = {status: 0 for status in ("succeeded", "skipped", "failed", "other")}
    for status in backfill.runs.values_list("status", flat=True):
        counts[status if status in counts else "other"] += 1
    return counts


def finish_batches(send: Callable[[int], None]) -> int:
    """Periodic: close backfills and scheduled syncs whose runs all ended; send summaries.

    A scheduled flow with `summary_to` in its trigger config gets one email per batch:
    how many records were checked, written, unchanged and failed.
    """
    closed = 0
    running = Backfill.objects.filter(status=Backfill.Status.RUNNING, listing=False)
    for backfill in running.select_related("flow__integration"):
        if backfill.runs.exclude(
            status__in=[
                RunStatus.SUCCEEDED,
                RunStatus.FAILED,
                RunStatus.SKIPPED,
                RunStatus.CANCELLED,
            ]
        ).exists():
            continue
        updated = running.filter(pk=backfill.pk).update(
            status=Backfill.Status.DONE, finished=timezone.now()
        )
        if not updated:
            continue  # another worker closed it
        closed += 1
        flow = backfill.flow
        target = (flow.trigger_config or {}).get("summary_to")
        if flow.trigger_kind != TriggerKind.SCHEDULE or not target:
            continue
        counts = batch_summary(backfill)
        body = (
            f"Scheduled sync of “{flow}” ({flow.integration}) finished.\n\n"
            f"Records checked: {backfill.total}\n"
            f"Written: {counts['succeeded']}\n"
            f"Unchanged (no write needed): {counts['skipped']}\n"
            f"Failed: {counts['failed']}\n\n"
            f"Runs: {settings.SITE_URL}/runs/?flow={flow.code}\n"
        )
        notification = Notification.objects.create(
            workspace=flow.integration.workspace,
            kind="summary",
            channel="email",
            target=target,
            subject=f"[Syncdeck] Sync summary: {flow} — {counts['failed']} failed",
            body=body,
        )
        transaction.on_commit(lambda pk=notification.pk: send(pk))
    return closed


def run_now(flow: Flow, user: Any) -> int:
    """Polling and scheduled flows: poll at once; others: a backfill. Returns the runs queued.

    The caller has shown the operator `bulk.preview(flow)` and had it confirmed; a deleting
    flow is refused (BulkRefused) before anything is read or queued.
    """
    from integrations.sync import polling

    bulk.check_allowed(flow)
    AuditEntry.record(flow.workspace, user, "flow.run_now", flow.name)
    if flow.trigger_kind in (TriggerKind.POLL, TriggerKind.SCHEDULE):
        return polling.poll(flow.pk)
    return start_backfill(flow, user).total
