"""Outbound webhooks of the TIMIFY simulator.

TIMIFY does not sign deliveries (FACTS §3); the subscriber configures a shared secret that
is sent in the `X-Webhook-Secret` header. Body (this simulator's shape; the facts give the
event names, not the body): {"id": "<delivery id>", "type": "customer.created" |
"customer.updated" | "customer.deleted" | "event.created" | "event.updated" |
"event.deleted", "companyId": "...", "createdAt": ISO, "data": <the record>}.
Sent after commit on a daemon thread, 429/5xx/connection errors retried 3 times;
SANDBOX_TIMIFY_WEBHOOK_SYNC=True delivers inline.
"""

from __future__ import annotations

import json
import logging
import secrets

from django.conf import settings
from django.utils import timezone

from sandbox.kit.delivery import Outbox, Worker, attempt, iso

from .models import TimifyConfig, TimifyDelivery

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Webhook-Secret"
MAX_RETRIES = 3


def _sync() -> bool:
    return bool(getattr(settings, "SANDBOX_TIMIFY_WEBHOOK_SYNC", False))


def emit(event_type: str, data: dict) -> None:
    _outbox.add(event_type, data)


def _fan_out(event_type: str, data: dict) -> None:
    config = TimifyConfig.load()
    if not config.webhook_url:
        return
    event = {
        "id": secrets.token_hex(12),
        "type": event_type,
        "companyId": config.company_id,
        "createdAt": iso(timezone.now()),
        "data": data,
    }
    delivery = TimifyDelivery.objects.create(
        url=config.webhook_url, event_id=event["id"], event_type=event_type, payload=event
    )
    job = _Job(delivery.pk, config.webhook_url, json.dumps(event).encode(), config.webhook_secret)
    if _sync():
        while _attempt(job) is not None:
            pass
    else:
        _worker.submit(0.0, job)


_outbox = Outbox(_fan_out)
atomic = _outbox.atomic


class _Job:
    def __init__(self, pk: int, url: str, raw: bytes, secret: str) -> None:
        self.pk, self.url, self.raw, self.secret = pk, url, raw, secret
        self.attempts = 0


def _attempt(job: _Job) -> float | None:
    headers = {"Content-Type": "application/json", "User-Agent": "TIMIFY-Webhooks (sandbox)"}
    if job.secret:
        headers[SECRET_HEADER] = job.secret
    return attempt(
        job,
        headers,
        model=TimifyDelivery,
        worker=_worker,
        max_retries=MAX_RETRIES,
        backoff=lambda n: 0.5 * n,
        sync=_sync(),
    )


_worker = Worker("sandbox-timify-hooks", _attempt, log, "timify webhook delivery %s failed")
