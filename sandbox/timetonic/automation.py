"""The "Call an API" automation: when a row is created or changed, POST it to a configured
URL with `Authorization: Bearer <token>` (TimeTonic signs nothing).

Body (what the demo's automation is set up to send; in TimeTonic the body is configured
by the user with the row's values):
    {"event": "<prefix>.created|updated", "b_c", "catId", "rowId", "row": {<field>: value}}
Sent after commit on a daemon worker; 429, 5xx and connection errors are retried up to
MAX_RETRIES times. SANDBOX_TIMETONIC_DELIVERY_SYNC=True delivers inline (tests).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from sandbox.kit.delivery import Outbox, Worker, attempt, iso

log = logging.getLogger(__name__)
MAX_RETRIES = 3


def _sync() -> bool:
    return bool(getattr(settings, "SANDBOX_TIMETONIC_DELIVERY_SYNC", False))


def _backoff(attempt: int) -> float:
    return float(getattr(settings, "SANDBOX_TIMETONIC_DELIVERY_BACKOFF_SECONDS", 0.5)) * attempt


def row_changed(row: Any, event: str) -> None:
    """Queue one delivery per enabled automation of the row's table (sent after commit)."""
    from .models import TTAutomation

    automations = list(TTAutomation.objects.filter(table_id=row.table_id, enabled=True))
    if not automations:
        return
    from .services import cell

    fields = list(row.table.fields.all())
    values = {}
    for field in fields:
        value = cell(field, row)
        values[field.name] = [item["row_id"] for item in value] if field.type == "link" else value
    for auto in automations:
        body = {
            "event": f"{auto.event_prefix}.{event}",
            "b_c": row.table.book.b_c,
            "catId": row.table_id,
            "rowId": row.pk,
            "changedAt": iso(timezone.now()),
            "row": values,
        }
        _outbox.add(auto.pk, auto.url, auto.token, body)


def _send(automation_id: int, url: str, token: str, body: dict) -> None:
    from .models import TTDelivery

    delivery = TTDelivery.objects.create(automation_id=automation_id, url=url, payload=body)
    job = _Job(delivery.pk, url, token, json.dumps(body, separators=(",", ":")).encode())
    if _sync():
        while _attempt(job) is not None:
            pass
    else:
        _worker.submit(0.0, job)


_outbox = Outbox(_send)
atomic = _outbox.atomic


class _Job:
    def __init__(self, pk: int, url: str, token: str, raw: bytes) -> None:
        self.pk = pk
        self.url = url
        self.token = token
        self.raw = raw
        self.attempts = 0


def _attempt(job: _Job) -> float | None:
    from .models import TTDelivery

    headers = {"Content-Type": "application/json", "User-Agent": "TimeTonic-Sandbox/1.0"}
    if job.token:
        headers["Authorization"] = f"Bearer {job.token}"
    return attempt(
        job,
        headers,
        model=TTDelivery,
        worker=_worker,
        max_retries=MAX_RETRIES,
        backoff=_backoff,
        sync=_sync(),
    )


_worker = Worker("sandbox-timetonic-automation", _attempt, log, "timetonic delivery %s failed")
