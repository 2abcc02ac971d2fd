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

import heapq
import json
import logging
import secrets
import threading
import time
from contextlib import contextmanager

import requests
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from sandbox.models import SandboxYourAppConfig, SandboxYourAppDelivery

from .common import SIGNATURE_HEADER, sign_header

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # so at most 1 + 3 attempts


def iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _sync() -> bool:
    return bool(getattr(settings, "SANDBOX_YOURAPP_WEBHOOK_SYNC", False))


def _backoff(attempt: int) -> float:
    return float(getattr(settings, "SANDBOX_YOURAPP_WEBHOOK_BACKOFF_SECONDS", 0.5)) * attempt


_local = threading.local()


@contextmanager
def atomic():
    """transaction.atomic() whose events are sent once it has committed (see sandbox.ghl)."""
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
    for event in events:
        _fan_out(event)


def emit(event_type: str, data: dict) -> dict:
    """Queue an event for every subscriber (sent after commit). Returns the event."""
    event = {
        "type": event_type,
        "id": "evt_" + secrets.token_hex(12),
        "occurred_at": iso(timezone.now()),
        "data": data,
    }
    pending = getattr(_local, "events", None)
    if pending is not None:
        pending.append(event)
    else:
        transaction.on_commit(lambda: _fan_out(event))
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
            _worker().submit(0.0, job)


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
    job.attempts += 1
    status = None
    err = ""
    try:
        response = requests.post(job.url, data=job.raw, headers=headers, timeout=(3, 10))
        status = response.status_code
    except requests.RequestException as exc:
        err = f"{type(exc).__name__}: {exc}"[:1000]
    retry_in = None
    if status is not None and 200 <= status < 300:
        state = "ok"
    elif (status is None or status == 429 or status >= 500) and job.attempts <= MAX_RETRIES:
        state = "retrying"
        retry_in = _backoff(job.attempts)
    else:
        state = "failed"
    SandboxYourAppDelivery.objects.filter(pk=job.pk).update(
        attempts=job.attempts, status_code=status, error=err, state=state, updated=timezone.now()
    )
    if retry_in is not None:
        if _sync():
            time.sleep(retry_in)
        else:
            _worker().submit(retry_in, job)
            return None
    return retry_in


class _Worker:
    """A tiny scheduler: a heap of (due, seq, job) and one daemon thread."""

    def __init__(self) -> None:
        self._heap: list = []
        self._cv = threading.Condition()
        self._seq = 0
        self._thread = threading.Thread(target=self._run, name="sandbox-yourapp-hooks", daemon=True)
        self._thread.start()

    def submit(self, delay: float, job: _Job) -> None:
        with self._cv:
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + delay, self._seq, job))
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
                _, _, job = heapq.heappop(self._heap)
            try:
                close_old_connections()
                _attempt(job)
            except Exception:  # keep the worker alive whatever happens
                log.exception("yourapp webhook delivery %s failed", job.pk)
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
