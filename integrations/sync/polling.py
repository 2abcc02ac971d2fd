"""Polling and scheduled triggers.

Polling (every 1-15 min) is the fallback for lost webhooks (GHL retries only on 429): each
polling flow keeps a PollCursor, asks the connector for records changed since it, queues
one run per record (deduplicated by record id and change time, so an overlap between polls
costs nothing), then advances the cursor.

A scheduled sync (every N minutes up to daily) is a batch: "full" reads every record,
"incremental" those changed since the last batch. Each batch is a Backfill row its runs
point at, so its progress and summary (written, unchanged, failed) are known. A worker
lists the batch's records page by page (`fill_batch`, also used by backfills), queueing
each page's runs as it comes, so any number of records is read, never in a web request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations.connectors.base import ConnectorError
from integrations.connectors.registry import connector_class
from integrations.locks import LockTimeout, named_lock
from integrations.models import Backfill, Flow, IntegrationStatus, PollCursor, TriggerKind
from integrations.sync.destructive import destructive_steps
from integrations.sync.dispatch import create_run

log = logging.getLogger(__name__)
# Records per page when listing a source: each page is queued in one transaction.
PAGE_SIZE = 200


def interval(flow: Flow) -> timedelta:
    if flow.trigger_kind == TriggerKind.SCHEDULE:
        minutes = int(flow.trigger_config.get("every_minutes", 1440))
        return timedelta(minutes=min(1440, max(1, minutes)))
    minutes = int(flow.trigger_config.get("interval_minutes", 5))
    # 1-15 min, or up to the connector's own limit (a calendar feed: 60).
    longest = max(15, connector_class(flow.source.kind).max_poll_minutes)
    return timedelta(minutes=min(longest, max(1, minutes)))


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


def poll_key(record: dict) -> str:
    """A polled record's run key: its id and change time, or, when the app gives no
    change time (pipelines, users, blogs…), a hash of its content, so a record runs once
    when it is new and once more each time it changes."""
    record_id = record.get("id") or record.get("_id")
    changed = record.get("dateUpdated") or record.get("updated_at") or record.get("updatedAt")
    if not changed:
        text = json.dumps(record, sort_keys=True, default=str)
        changed = "h" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"poll:{record_id}:{changed}"


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
    cursor.last_polled_at = now
    cursor.next_poll_at = now + interval(flow)
    if destructive_steps(flow):
        # Polling lists records that exist: a deleting step would delete each of them.
        cursor.last_error = "a deleting flow runs only on deletion events; not polled"
        cursor.save()
        return 0
    if flow.trigger_kind == TriggerKind.SCHEDULE:
        # A batch: a worker lists every record page by page (fill_batch), with progress.
        cursor.last_error = ""
        cursor.save()
        batch = Backfill.objects.create(flow=flow, listing=True)
        transaction.on_commit(lambda: send_listing(batch.pk))
        batch.refresh_from_db()  # listed already when tasks run eagerly
        return batch.total
    config = {"object": flow.object_type, **flow.trigger_config, "page_size": PAGE_SIZE}
    config.pop("max_records", None)
    queued = 0
    value = cursor.value
    try:
        for page, after in flow.source.connector.poll_pages(config, cursor.value):
            with transaction.atomic():
                for record in page:
                    run = create_run(
                        flow,
                        record,
                        trigger="poll",
                        event_type="poll",
                        dedupe_key=poll_key(record),
                    )
                    queued += run is not None
            value = after
    except (ConnectorError, NotImplementedError) as exc:
        # What was queued stays queued; the next poll starts again from the stored cursor
        # (re-reading costs nothing: runs are deduplicated by record and change time).
        cursor.last_error = str(exc)[:500]
        cursor.save()
        return queued
    cursor.value = value
    cursor.last_error = ""
    cursor.save()
    return queued


def send_listing(batch_id: int) -> None:
    """Send the task that lists a batch; a broker that is down is logged."""
    from integrations.tasks import list_batch

    try:
        list_batch.delay(batch_id)
    except (OperationalError, OSError):
        log.exception("could not send the listing of batch %s to the broker", batch_id)


def fill_batch(batch_id: int) -> int:
    """List a backfill's or scheduled sync's records page by page, queueing one run per
    record as each page comes and growing `total`; returns the total.

    Safe to run twice (a redelivered task): runs are deduplicated per batch and record, and
    a batch that is listed already is left alone.
    """
    batch = Backfill.objects.select_related("flow__source", "flow__integration").get(pk=batch_id)
    if not batch.listing:
        return batch.total
    try:
        with named_lock(f"batch:{batch.pk}", timeout=3600, wait=1):
            return _fill(batch)
    except LockTimeout:
        return 0  # another worker is listing it


def _fill(batch: Backfill) -> int:
    flow = batch.flow
    scheduled = flow.trigger_kind == TriggerKind.SCHEDULE
    incremental = scheduled and flow.trigger_config.get("mode", "full") != "full"
    config = {"object": flow.object_type, **flow.trigger_config, "page_size": PAGE_SIZE}
    config.pop("max_records", None)
    cursor = ""
    if incremental:
        cursor = PollCursor.objects.filter(flow=flow).values_list("value", flat=True).first() or ""
    if scheduled:
        trigger, event_type, prefix = "schedule", "scheduled sync", "sync"
    else:
        trigger, event_type, prefix = "backfill", "backfill", "backfill"
    new_cursor = cursor
    try:
        for page, after in flow.source.connector.poll_pages(config, cursor):
            new_cursor = after
            with transaction.atomic():
                for record in page:
                    if not isinstance(record, dict):
                        continue
                    create_run(
                        flow,
                        record,
                        trigger=trigger,
                        event_type=event_type,
                        dedupe_key=f"{prefix}:{batch.pk}:{record.get('id')}",
                        backfill=batch,
                    )
                Backfill.objects.filter(pk=batch.pk).update(total=batch.runs.count())
    except (ConnectorError, NotImplementedError) as exc:
        total = batch.runs.count()
        Backfill.objects.filter(pk=batch.pk).update(
            listing=False,
            total=total,
            status=Backfill.Status.FAILED,
            error=f"Listing stopped after {total} records: {exc}"[:500],
            finished=timezone.now(),
        )
        return total
    total = batch.runs.count()
    Backfill.objects.filter(pk=batch.pk).update(listing=False, total=total)
    if incremental:
        PollCursor.objects.filter(flow=flow).update(value=new_cursor)
    return total
