"""Webhook signing and delivery, like GHL (FACTS §7).

- ``x-ghl-signature``: base64 Ed25519 signature over the raw body bytes.
- ``x-wh-signature``: legacy base64 RSA-SHA256 (PKCS#1 v1.5) over the same bytes.
- Delivery happens after the DB commit, on a per-process daemon worker thread. As in GHL,
  only an HTTP 429 from the receiver is retried (up to 6 times, every
  SANDBOX_GHL_WEBHOOK_RETRY_SECONDS plus jitter); anything else non-2xx is final.
- SANDBOX_GHL_WEBHOOK_SYNC=True delivers inline (deterministic tests).
"""

from __future__ import annotations

import base64
import json
import logging
import random
import uuid
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.utils import timezone

from sandbox.kit.delivery import Outbox, Worker, iso, post
from sandbox.models import SandboxWebhookDelivery, SandboxWebhookSubscription

log = logging.getLogger(__name__)

KEY_DIR = Path(__file__).resolve().parent.parent / "keys"
APP_ID = "sandbox-app-000000000001"
VERSION_ID = "sandbox-version-000000001"
MAX_RETRIES = 6


@lru_cache(maxsize=1)
def _keys():
    ed = serialization.load_pem_private_key((KEY_DIR / "ed25519-private.pem").read_bytes(), None)
    rsa_key = serialization.load_pem_private_key((KEY_DIR / "rsa-private.pem").read_bytes(), None)
    return ed, rsa_key


def sign(body: bytes) -> dict[str, str]:
    ed, rsa_key = _keys()
    return {
        "x-ghl-signature": base64.b64encode(ed.sign(body)).decode(),
        "x-wh-signature": base64.b64encode(
            rsa_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        ).decode(),
    }


def _sync() -> bool:
    return bool(getattr(settings, "SANDBOX_GHL_WEBHOOK_SYNC", False))


def _retry_seconds() -> float:
    return float(getattr(settings, "SANDBOX_GHL_WEBHOOK_RETRY_SECONDS", 600))


def emit(event_type: str, payload: dict, location_id: str) -> None:
    """Queue a webhook event for every subscription of this location (after commit)."""
    event = {"type": event_type, "locationId": location_id, **payload}
    _outbox.add(event_type, event, location_id)


def _fan_out(event_type: str, event: dict, location_id: str) -> None:
    subs = SandboxWebhookSubscription.objects.filter(location_id__isnull=True) | (
        SandboxWebhookSubscription.objects.filter(location_id=location_id)
    )
    for sub in subs:
        body = dict(event)
        body.update(
            {
                "appId": APP_ID,
                "versionId": VERSION_ID,
                "timestamp": iso(timezone.now()),
                "webhookId": str(uuid.uuid4()),
            }
        )
        delivery = SandboxWebhookDelivery.objects.create(
            url=sub.url,
            event_type=event_type,
            webhook_id=body["webhookId"],
            location_id=location_id,
            payload=body,
        )
        raw = json.dumps(body, separators=(",", ":")).encode()
        if _sync():
            _attempt(delivery.pk, raw)
        else:
            _worker.submit(0.0, _Job(delivery.pk, raw))


_outbox = Outbox(_fan_out)
atomic = _outbox.atomic  # transaction.atomic() whose webhook events are sent after commit


class _Job(NamedTuple):
    pk: int
    raw: bytes


def _attempt(delivery_pk: int, raw: bytes) -> None:
    delivery = SandboxWebhookDelivery.objects.filter(pk=delivery_pk).first()
    if delivery is None:
        return
    headers = {"Content-Type": "application/json", "User-Agent": "GHL-Sandbox-Webhooks/1.0"}
    headers.update(sign(raw))
    delivery.attempts += 1
    status, err = post(delivery.url, raw, headers, timeout=(5, 15))
    delivery.status_code = status
    delivery.error = err
    delivery.updated = timezone.now()
    if status is not None and 200 <= status < 300:
        delivery.state = "ok"
    elif status == 429 and delivery.attempts <= MAX_RETRIES:
        delivery.state = "retrying"
        delay = _retry_seconds() + random.uniform(0, max(1.0, _retry_seconds() * 0.1))
        _worker.submit(delay, _Job(delivery.pk, raw))
    else:
        delivery.state = "failed"
    delivery.save(update_fields=["attempts", "status_code", "error", "updated", "state"])


_worker = Worker(
    "sandbox-webhooks",
    lambda job: _attempt(job.pk, job.raw),
    log,
    "sandbox webhook delivery %s failed",
)
