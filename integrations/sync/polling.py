"""Polling triggers: the fallback for lost webhooks (GHL retries only on 429).

Each polling flow keeps a PollCursor. A poll asks the connector for records changed since
the cursor, queues one run per record (deduplicated by record id and change time, so an
overlap between polls costs nothing), then advances the cursor.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.connectors.base import ConnectorError
from integrations.locks import LockTimeout, named_lock
from integrations.models import Flow, IntegrationStatus, PollCursor, TriggerKind
from integrations.sync.dispatch import create_run

log = logging.getLogger(__name__)


def interval(flow: Flow) -> timedelta:
    minutes = int(flow.trigger_config.get("interval_minutes", 5))
    return timedelta(minutes=min(15, max(1, minutes)))


def due_flows() -> list[int]:
    now = timezone.now()
    return list(
        Flow.objects.filter(
            trigger_kind=TriggerKind.POLL,
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
    try:
        records, new_value = flow.source.connector.poll(flow.trigger_config, cursor.value)
    except ConnectorError as exc:
        cursor.last_error = exc.message[:500]
        cursor.last_polled_at = now
        cursor.next_poll_at = now + interval(flow)
        cursor.save()
        return 0
    queued = 0
    with transaction.atomic():
        for record in records:
            changed = record.get("dateUpdated") or record.get("updated_at") or ""
            run = create_run(
                flow,
                record,
                trigger="poll",
                event_type="poll",
                dedupe_key=f"poll:{record.get('id')}:{changed}",
            )
            queued += run is not None
        cursor.value = new_value
        cursor.last_error = ""
        cursor.last_polled_at = now
        cursor.next_poll_at = now + interval(flow)
        cursor.save()
    return queued
