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
import heapq
import json
import logging
import random
import threading
import time
import uuid
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

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


def _iso_now() -> str:
    now = timezone.now()
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _sync() -> bool:
    return bool(getattr(settings, "SANDBOX_GHL_WEBHOOK_SYNC", False))


def _retry_seconds() -> float:
    return float(getattr(settings, "SANDBOX_GHL_WEBHOOK_RETRY_SECONDS", 600))


_local = threading.local()


@contextmanager
def atomic():
    """transaction.atomic() whose webhook events are sent once it has committed.

    Events emitted inside are collected and fanned out after the block exits cleanly
    (dropped if it raises). Unlike a bare on_commit this also works under a test-case
    transaction that never commits (pytest-django's ``db`` fixture).
    """
    if getattr(_local, "events", None) is not None:  # nested: the outer block sends
        with transaction.atomic():
            yield
        return
    _local.events = []
    try:
        with transaction.atomic():
            yield
        events = _local.events
    finally:
        _local.events = None
    for args in events:
        _fan_out(*args)


def emit(event_type: str, payload: dict, location_id: str) -> None:
    """Queue a webhook event for every subscription of this location (after commit)."""
    event = {"type": event_type, "locationId": location_id, **payload}
    pending = getattr(_local, "events", None)
    if pending is not None:
        pending.append((event_type, event, location_id))
    else:
        transaction.on_commit(lambda: _fan_out(event_type, event, location_id))


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
                "timestamp": _iso_now(),
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
            _worker().submit(0.0, delivery.pk, raw)


def _attempt(delivery_pk: int, raw: bytes) -> None:
    delivery = SandboxWebhookDelivery.objects.filter(pk=delivery_pk).first()
    if delivery is None:
        return
    headers = {"Content-Type": "application/json", "User-Agent": "GHL-Sandbox-Webhooks/1.0"}
    headers.update(sign(raw))
    delivery.attempts += 1
    status = None
    err = ""
    try:
        response = requests.post(delivery.url, data=raw, headers=headers, timeout=(5, 15))
        status = response.status_code
    except requests.RequestException as exc:
        err = f"{type(exc).__name__}: {exc}"[:1000]
    delivery.status_code = status
    delivery.error = err
    delivery.updated = timezone.now()
    if status is not None and 200 <= status < 300:
        delivery.state = "ok"
    elif status == 429 and delivery.attempts <= MAX_RETRIES:
        delivery.state = "retrying"
        delay = _retry_seconds() + random.uniform(0, max(1.0, _retry_seconds() * 0.1))
        _worker().submit(delay, delivery.pk, raw)
    else:
        delivery.state = "failed"
    delivery.save(update_fields=["attempts", "status_code", "error", "updated", "state"])


class _Worker:
    """A tiny scheduler: a heap of (due, seq, delivery_pk, raw) and one daemon thread."""

    def __init__(self) -> None:
        self._heap: list = []
        self._cv = threading.Condition()
        self._seq = 0
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def submit(self, delay: float, delivery_pk: int, raw: bytes) -> None:
        with self._cv:
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + delay, self._seq, delivery_pk, raw))
            self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cv.wait(timeout)
                _, _, pk, raw = heapq.heappop(self._heap)
            try:
                close_old_connections()
                _attempt(pk, raw)
            except Exception:  # keep the worker alive whatever happens
                log.exception("sandbox webhook delivery %s failed", pk)
            finally:
                close_old_connections()


_worker_lock = threading.Lock()
_worker_instance: _Worker | None = None


def _worker() -> _Worker:
    global _worker_instance
    with _worker_lock:
        if _worker_instance is None:
            _worker_instance = _Worker()
        return _worker_instance
