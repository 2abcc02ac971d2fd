"""Outbound events of Your App (demo) to its subscribers.

- Body: {"type": "contact.created"|"contact.updated"|"contact.deleted", "id": "evt_…",
  "occurred_at": ISO, "data": <contact>}.
- Header ``Syncdeck-Signature: t=<unix>,v1=<hex HMAC-SHA256(webhook_secret, f"{t}.{body}")>``
  (re-signed with a fresh timestamp on every attempt).
- Sent after the DB commit, on a per-process daemon worker thread; 429, 5xx and connection
  errors are retried up to MAX_RETRIES times with a short backoff
  (SANDBOX_YOURAPP_WEBHOOK_BACKOFF_SECONDS x attempt number).
- SANDBOX_YOURAPP_WEBHOOK_SYNC=True delivers inline (retries included) for deterministic tests.
"""

from __future__ import annotations

import json
import logging
import secrets

from django.conf import settings
from django.utils import timezone

from sandbox.kit.delivery import Outbox, Worker, attempt, iso
from sandbox.models import SandboxYourAppConfig, SandboxYourAppDelivery

from .common import SIGNATURE_HEADER, sign_header

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # so at most 1 + 3 attempts


def _sync() -> bool:
    return bool(getattr(settings, "SANDBOX_YOURAPP_WEBHOOK_SYNC", False))


def _backoff(attempt: int) -> float:
    return float(getattr(settings, "SANDBOX_YOURAPP_WEBHOOK_BACKOFF_SECONDS", 0.5)) * attempt


def emit(event_type: str, data: dict) -> dict:
    """Queue an event for every subscriber (sent after commit). Returns the event."""
    event = {
        "type": event_type,
        "id": "evt_" + secrets.token_hex(12),
        "occurred_at": iso(timezone.now()),
        "data": data,
    }
    _outbox.add(event)
    return event


def _fan_out(event: dict) -> None:
    config = SandboxYourAppConfig.load()
    raw = json.dumps(event, separators=(",", ":")).encode()
    for url in config.subscribers or []:
        delivery = SandboxYourAppDelivery.objects.create(
            url=url, event_id=event["id"], event_type=event["type"], payload=event
        )
        job = _Job(delivery.pk, url, raw, config.webhook_secret)
        if _sync():
            while _attempt(job) is not None:
                pass
        else:
            _worker.submit(0.0, job)


_outbox = Outbox(_fan_out)
atomic = _outbox.atomic  # transaction.atomic() whose events are sent after commit


class _Job:
    """One delivery in flight; its state lives here, the row is only a record of it."""

    def __init__(self, pk: int, url: str, raw: bytes, secret: str) -> None:
        self.pk = pk
        self.url = url
        self.raw = raw
        self.secret = secret
        self.attempts = 0


def _attempt(job: _Job) -> float | None:
    """One attempt. Returns the delay before a retry (after sleeping it) in sync mode."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "YourApp-Demo-Webhooks/1.0",
        SIGNATURE_HEADER: sign_header(job.secret, job.raw),
    }
    return attempt(
        job,
        headers,
        model=SandboxYourAppDelivery,
        worker=_worker,
        max_retries=MAX_RETRIES,
        backoff=_backoff,
        sync=_sync(),
    )


_worker = Worker("sandbox-yourapp-hooks", _attempt, log, "yourapp webhook delivery %s failed")
