"""Turn trigger events into Runs: a Run row exists (queued) before its task is sent.

Runs are created in the caller's transaction (the same one that stored the webhook
event), and their tasks are sent only after it commits. The task sender is looked up at
call time so this module stays below tasks.py in the import order.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from kombu.exceptions import OperationalError

from integrations import safejson
from integrations.models import (
    Flow,
    IntegrationStatus,
    Run,
    RunStatus,
    TriggerKind,
    WebhookEvent,
    WebhookStatus,
)

log = logging.getLogger(__name__)


def enqueue(run_id: int, countdown: float = 0) -> None:
    """Send the run's task; a broker that is down is logged, not raised.

    The Run row is already committed as queued, and the reaper sends it again later, so a
    failure here must not turn into an error for whoever stored it (a webhook sender
    would be told 500 for an event we kept).
    """
    from integrations.tasks import execute_run

    try:
        execute_run.apply_async(args=[run_id], countdown=max(0.0, countdown))
    except (OperationalError, OSError):  # kombu wraps a broker's connection errors
        log.exception("could not send run %s to the broker; the reaper will send it", run_id)


def record_label(record: dict[str, Any]) -> str:
    """A readable name for a record of any app (name, then email, then phone)."""
    if not isinstance(record, dict):
        return ""
    name = (
        record.get("name")
        or record.get("full_name")
        or " ".join(
            str(part)
            for part in (
                record.get("firstName") or record.get("first_name"),
                record.get("lastName") or record.get("last_name"),
            )
            if part
        )
    )
    email = record.get("email")
    label = f"{name} <{email}>" if name and email else (name or email or record.get("phone") or "")
    if not label:  # a task, note or appointment: its title or the start of its text
        text = str(record.get("title") or record.get("body") or "")
        label = text if len(text) <= 60 else text[:59] + "…"
    return str(label)[:200]


def create_run(
    flow: Flow,
    payload: dict[str, Any],
    *,
    trigger: str,
    event_type: str = "",
    dedupe_key: str = "",
    webhook_event: WebhookEvent | None = None,
    retry_of: Run | None = None,
    backfill: Any = None,
) -> Run | None:
    """Queue one run (None when the dedupe key says it exists already)."""
    record_id = (
        str(payload.get("id") or payload.get("contactId") or "")
        if isinstance(payload, dict)
        else ""
    )
    try:
        with transaction.atomic():
            run = Run.objects.create(
                workspace=flow.integration.workspace,
                flow=flow,
                status=RunStatus.QUEUED,
                trigger=trigger,
                event_type=event_type,
                dedupe_key=dedupe_key[:200],
                webhook_event=webhook_event,
                payload=payload,
                record_id=record_id[:100],
                record_label=record_label(payload),
                retry_of=retry_of,
                backfill=backfill,
            )
    except IntegrityError:
        return None
    if trigger == "test" or (flow.integration.status == IntegrationStatus.ACTIVE and flow.enabled):
        transaction.on_commit(lambda: enqueue(run.pk))
    return run


def dispatch_webhook_event(event: WebhookEvent, *, replay: bool = False) -> list[Run]:
    """Queue a run for every enabled flow listening to this event."""
    if event.connection_id is None or event.status not in (
        WebhookStatus.RECEIVED,
        WebhookStatus.PROCESSED,
    ):
        return []
    try:
        body = safejson.loads(event.raw_body)
    except ValueError:  # includes JSON nested too deep to walk safely
        return []
    connector = event.connection.connector
    record = connector.event_record(body)
    flows = Flow.objects.filter(
        source_id=event.connection_id, enabled=True, trigger_kind=TriggerKind.WEBHOOK
    ).select_related("integration")
    runs = []
    for flow in flows:
        if not flow.listens_to(event.event_type):
            continue
        key = f"event:{event.code}" if not replay else ""
        run = create_run(
            flow,
            record,
            trigger="replay" if replay else "webhook",
            event_type=event.event_type,
            dedupe_key=key,
            webhook_event=event,
        )
        if run is not None:
            runs.append(run)
    if runs and event.status == WebhookStatus.RECEIVED:
        WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookStatus.PROCESSED)
    return runs
