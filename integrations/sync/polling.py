"""Polling and scheduled triggers.

Polling (every 1-15 min) is the fallback for lost webhooks (GHL retries only on 429): each
polling flow keeps a PollCursor, asks the connector for records changed since it, queues
one run per record (deduplicated by record id and change time, so an overlap between polls
costs nothing), then advances the cursor.

A scheduled sync (every N minutes up to daily) is a batch: "full" reads every record,
"incremental" those changed since the last batch. Each batch is a Backfill row its runs
point at, so its progress and summary (written, unchanged, failed) are known.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.connectors.base import ConnectorError
from integrations.locks import LockTimeout, named_lock
from integrations.models import Backfill, Flow, IntegrationStatus, PollCursor, TriggerKind
from integrations.sync.destructive import destructive_steps
from integrations.sync.dispatch import create_run

log = logging.getLogger(__name__)


def interval(flow: Flow) -> timedelta:
    if flow.trigger_kind == TriggerKind.SCHEDULE:
        minutes = int(flow.trigger_config.get("every_minutes", 1440))
        return timedelta(minutes=min(1440, max(1, minutes)))
    minutes = int(flow.trigger_config.get("interval_minutes", 5))
    return timedelta(minutes=min(15, max(1, minutes)))


def due_flows() -> list[int]:
    now = timezone.now()
    return list(
        Flow.objects.filter(
            trigger_kind__in=[TriggerKind.POLL, TriggerKind.SCHEDULE],
            enabled=True,
            integration__status=IntegrationStatus.ACTIVE,
        )
        .filter(Q(cursor__isnull=True) | Q(cursor__next_poll_at__lte=now))
        .values_list("pk", flat=True)
    )


def poll(flow_id: int) -> int:
    """Poll one flow; returns how many runs were queued."""
    try:
        with named_lock(f"poll:{flow_id}", timeout=300, wait=1):
            return _poll(flow_id)
    except LockTimeout:
        return 0  # another worker is polling this flow


def _poll(flow_id: int) -> int:
    flow = Flow.objects.select_related("integration", "source").get(pk=flow_id)
    cursor, _ = PollCursor.objects.get_or_create(flow=flow)
    now = timezone.now()
    scheduled = flow.trigger_kind == TriggerKind.SCHEDULE
    full = scheduled and flow.trigger_config.get("mode", "full") == "full"
    config = {"object": flow.object_type, **flow.trigger_config}
    if destructive_steps(flow):
        # Polling lists records that exist: a deleting step would delete each of them.
        cursor.last_error = "a deleting flow runs only on deletion events; not polled"
        cursor.last_polled_at = now
        cursor.next_poll_at = now + interval(flow)
        cursor.save()
        return 0
    try:
        records, new_value = flow.source.connector.poll(config, "" if full else cursor.value)
    except ConnectorError as exc:
        cursor.last_error = exc.message[:500]
        cursor.last_polled_at = now
        cursor.next_poll_at = now + interval(flow)
        cursor.save()
        return 0
    queued = 0
    with transaction.atomic():
        batch = Backfill.objects.create(flow=flow) if scheduled else None
        for record in records:
            changed = record.get("dateUpdated") or record.get("updated_at") or ""
            key = f"sync:{batch.pk}:{record.get('id')}" if batch else None
            run = create_run(
                flow,
                record,
                trigger="schedule" if batch else "poll",
                event_type="scheduled sync" if batch else "poll",
                dedupe_key=key or f"poll:{record.get('id')}:{changed}",
                backfill=batch,
            )
            queued += run is not None
        if batch is not None:
            Backfill.objects.filter(pk=batch.pk).update(total=queued)
        cursor.value = new_value
        cursor.last_error = ""
        cursor.last_polled_at = now
        cursor.next_poll_at = now + interval(flow)
        cursor.save()
    return queued
