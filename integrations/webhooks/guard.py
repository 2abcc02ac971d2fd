"""What both webhook receivers share: reading the body, answering, and storing rejections
without letting forged traffic fill the disk.

A rejected delivery (forged, stale, malformed, too large) is stored with only a prefix of
its body, and at most WEBHOOK_REJECTED_PER_MINUTE of them per source address and minute;
past that they are counted in the cache (Redis in production) and the count is written
into the note of the last one stored, so operators see how many were dropped. Accepted
deliveries are never capped and keep their whole body (retry and replay need it).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

from integrations import metrics
from integrations.models import WebhookEvent, WebhookStatus

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_REJECTED_BODY_BYTES = 2048
DEFAULT_REJECTED_PER_MINUTE = 30
_NOTE_MAX = 500


def now() -> float:
    """The receivers' clock (unix seconds); tests move it instead of sleeping."""
    return time.time()


def max_body_bytes() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def body_text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL; JSON never needs a raw one.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def body_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` (then at most limit+1 bytes
    were read)."""
    declared = request.META.get("CONTENT_LENGTH")
    if declared not in (None, ""):
        try:
            if int(declared) > limit:
                return None
        except ValueError:
            pass  # Django reads such a body as empty
        raw = request.read(limit + 1)
    elif request.META.get("wsgi.input_terminated"):
        # A chunked upload has no Content-Length, and Django (5.2) then reads an empty
        # body. A server that sets wsgi.input_terminated (gunicorn) ends wsgi.input where
        # the body ends, so it is safe to read it directly, up to the limit.
        raw = request.META["wsgi.input"].read(limit + 1)
    else:
        raw = b""  # a server that cannot tell us where a chunked body ends
    return None if len(raw) > limit else raw


def reply(event: WebhookEvent, http_status: int = 200, **extra: Any) -> JsonResponse:
    metrics.webhook_received(event.source_kind, event.status, event.signature_verdict)
    body = {"status": event.status, "id": str(event.code), **extra}
    if event.status == WebhookStatus.REJECTED:
        body["error"] = event.note
    return JsonResponse(body, status=http_status)


# --- rejected deliveries ---------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The sender's address, through the same trusted-proxy settings as allauth's login
    rate limits (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER)."""
    try:
        from allauth.core.internal.httpkit import get_client_ip

        address = get_client_ip(request)
    except Exception:  # allauth internals moved, or X-Forwarded-For does not match
        address = request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(str(address or "")))
    except ValueError:
        return "unknown"


def _rejected_body_bytes() -> int:
    return int(getattr(settings, "WEBHOOK_REJECTED_BODY_BYTES", DEFAULT_REJECTED_BODY_BYTES))


def _rejected_per_minute() -> int:
    return int(getattr(settings, "WEBHOOK_REJECTED_PER_MINUTE", DEFAULT_REJECTED_PER_MINUTE))


def _count(key: str) -> int:
    cache.add(key, 0, timeout=180)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=180)
        return 1


def reject(
    request: HttpRequest, raw: bytes, http_status: int, *, note: str, **row: Any
) -> JsonResponse:
    """Store a rejected delivery (a prefix of its body) and answer `http_status`; past the
    per-address budget of this minute, count it instead and answer 429."""
    address = client_address(request)
    clock = now()
    bucket = f"webhooks:rejected:{address}:{int(clock // 60)}"
    cap = _rejected_per_minute()
    try:
        seen = _count(bucket)
    except Exception:  # the cache is down: store it (bounded by the prefix) rather than fail
        log.exception("webhook rejection counter unavailable")
        seen = 0
    if seen > cap:
        metrics.webhook_received(
            str(row.get("source_kind") or ""), "dropped", str(row.get("signature_verdict") or "")
        )
        return _drop(bucket, address, cap, clock)

    keep = _rejected_body_bytes()
    if len(raw) > keep:
        note = f"{note[:300]}; body truncated: first {keep} of {len(raw)} bytes stored"
    event = WebhookEvent.objects.create(
        **row,
        raw_body=body_text(raw[:keep]),
        status=WebhookStatus.REJECTED,
        note=note[:_NOTE_MAX],
    )
    if seen == cap:  # the last one stored this minute: drops are reported on it
        try:
            cache.set(bucket + ":last", (event.pk, event.note), timeout=180)
        except Exception:
            log.exception("webhook rejection counter unavailable")
    return reply(event, http_status)


def _drop(bucket: str, address: str, cap: int, clock: float) -> JsonResponse:
    try:
        dropped = _count(bucket + ":dropped")
        last = cache.get(bucket + ":last")
    except Exception:
        log.exception("webhook rejection counter unavailable")
        dropped, last = 0, None
    log.warning("webhook from %s dropped: over %d rejected deliveries a minute", address, cap)
    if last and dropped:
        pk, note = last
        extra = (
            f"; {dropped} more rejected deliveries from {address} were dropped "
            f"this minute (over {cap} a minute, not stored)"
        )
        WebhookEvent.objects.filter(pk=pk).update(note=(note[: _NOTE_MAX - len(extra)] + extra))
    response = JsonResponse(
        {
            "status": "dropped",
            "error": f"more than {cap} rejected deliveries a minute from this address; not stored",
        },
        status=429,
    )
    response["Retry-After"] = str(max(1, 60 - int(clock % 60)))
    return response
