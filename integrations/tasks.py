"""Thin Celery tasks: ids in, a call into integrations, nothing else."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from integrations import alerts, metrics
from integrations.connecting import check_connection
from integrations.connectors.base import ConnectorError
from integrations.models import FINISHED_STATUSES, AlertRule, Connection, ConnectionStatus, Run
from integrations.sync import engine, polling, reaper

log = logging.getLogger(__name__)


def _enqueue(run_id: int, countdown: float = 0) -> None:
    execute_run.apply_async(args=[run_id], countdown=max(0.0, countdown))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def execute_run(run_id: int) -> None:
    began = timezone.now()
    engine.execute(run_id, _enqueue)
    _count_finished(run_id, began)


def _count_finished(run_id: int, began: Any) -> None:
    """Metrics: a run that reached an end state in this task (one read by primary key); a
    redelivered message of a run that had already ended is not counted again."""
    row = (
        Run.objects.filter(pk=run_id, status__in=FINISHED_STATUSES, finished_at__gte=began)
        .values_list("status", "flow_id", "started_at", "finished_at")
        .first()
    )
    if row is None:
        return
    status, flow_id, started, finished = row
    seconds = (finished - started).total_seconds() if started and finished else None
    metrics.run_finished(status, flow_id, seconds)


@shared_task(ignore_result=True)
def reap_stuck_runs() -> int:
    """Periodic: re-enqueue runs whose worker died or whose message was lost."""
    return reaper.reap(_enqueue)


@shared_task(ignore_result=True)
def poll_due_flows() -> int:
    """Periodic: queue a poll of every polling flow that is due."""
    due = polling.due_flows()
    for flow_id in due:
        poll_flow.delay(flow_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def poll_flow(flow_id: int) -> None:
    polling.poll(flow_id)


@shared_task(acks_late=True, ignore_result=True)
def list_batch(backfill_id: int) -> None:
    """List a backfill's or scheduled sync's records page by page, queueing their runs."""
    polling.fill_batch(backfill_id)


@shared_task(acks_late=True, ignore_result=True)
def test_connection(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is not None:
        check_connection(connection)


@shared_task(acks_late=True, ignore_result=True)
def refresh_connection(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.status == ConnectionStatus.NEEDS_REAUTH:
        return
    try:
        connection.connector.refresh()
    except ConnectorError as exc:
        log.warning("refresh of connection %s failed: %s", connection_id, exc.message)


@shared_task(ignore_result=True)
def refresh_expiring_connections() -> int:
    """Periodic: queue a refresh for every OAuth connection close to expiry."""
    horizon = timezone.now() + timedelta(seconds=settings.GHL_REFRESH_MARGIN_SECONDS * 2)
    ids = list(
        Connection.objects.filter(
            auth_method="oauth2", expires_at__lte=horizon, status__in=["active", "failing"]
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        refresh_connection.delay(pk)
    return len(ids)


# --- alerts -----------------------------------------------------------------------------
ALERT_SEND_ATTEMPTS = 4


def _enqueue_notification(notification_id: int) -> None:
    send_notification.delay(notification_id)


@shared_task(ignore_result=True)
def evaluate_alerts() -> int:
    """Periodic: evaluate every enabled alert rule; queue what opened or recovered."""
    return alerts.evaluate_all(_enqueue_notification)


@shared_task(acks_late=True, ignore_result=True)
def evaluate_workspace_alerts(workspace_id: int) -> int:
    return alerts.evaluate_workspace(workspace_id, _enqueue_notification)


def run_failed(run_id: int) -> None:
    """The engine's hook (settings.SYNC_RUN_FAILED_HOOK): alert at once, not a minute later."""
    workspace_id = Run.objects.filter(pk=run_id).values_list("workspace_id", flat=True).first()
    if workspace_id is not None:
        evaluate_workspace_alerts.delay(workspace_id)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=ALERT_SEND_ATTEMPTS - 1)
def send_notification(self, notification_id: int) -> None:  # type: ignore[no-untyped-def]
    attempt = self.request.retries + 1
    outcome = alerts.deliver(
        notification_id, attempt=attempt, last_attempt=attempt >= ALERT_SEND_ATTEMPTS
    )
    if outcome.retry:
        if self.request.is_eager:
            # Eager mode (tests, no worker) would raise Retry at the caller: try again now.
            self.apply(args=[notification_id], retries=attempt)
            return
        raise self.retry(countdown=30 * 2 ** (attempt - 1))


def send_test_alert(rule_id: int) -> None:
    rule = AlertRule.objects.filter(pk=rule_id).first()
    if rule is not None:
        alerts.send_test(rule, _enqueue_notification)


@shared_task(ignore_result=True)
def finish_batches() -> int:
    """Periodic: close finished backfills / scheduled syncs and send their summaries."""
    from integrations import lifecycle

    return lifecycle.finish_batches(_enqueue_notification)


@shared_task(ignore_result=True)
def beat_heartbeat() -> None:
    """Sent by celery beat, run by a worker: `/readyz` reads the stamp (integrations/health)."""
    from integrations import health

    health.stamp_heartbeat()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def csv_import_chunk(batch_id: int, first: int, last: int) -> None:
    """Write the pending rows (lines first..last) of a CSV import to HighLevel."""
    from integrations.csvio import imports

    imports.process_chunk(batch_id, first, last)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def csv_export(batch_id: int) -> None:
    """List HighLevel contacts into a CSV export's file."""
    from integrations.csvio import exports

    exports.run(batch_id)


@shared_task(ignore_result=True)
def prune_history() -> dict:
    """Daily: retention of runs, webhook events and ledger entries (integrations/retention)."""
    from dataclasses import asdict

    from integrations import retention

    return asdict(retention.prune())


@shared_task(acks_late=True, ignore_result=True)
def queue_retry_batch(batch_id: int) -> int:
    """Queue a Retry all's runs chunk by chunk (integrations/retrying.py)."""
    from integrations import retrying

    return retrying.queue(batch_id)


@shared_task(ignore_result=True)
def check_connections() -> int:
    """Periodic: queue a health check of each connection due one, spread over a minute."""
    from integrations import checks

    ids = checks.due()
    for n, pk in enumerate(ids):
        check_connection_health.apply_async(args=[pk], countdown=60.0 * n / max(1, len(ids)))
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def check_connection_health(connection_id: int) -> None:
    from integrations import checks

    checks.check(connection_id, evaluate_workspace_alerts.delay)
