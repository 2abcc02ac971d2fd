"""Inbound webhook receivers (no login, no CSRF: the signature is the authentication).

Every delivery is stored as a WebhookEvent before we answer, including forged, stale and
malformed ones (status "rejected", so operators can see them). Only HTTP 429 makes GHL
retry, so any other answer is final: a genuine event is never refused for a reason of
ours (unknown location or type is stored and answered 200).
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.connectors.ghl import webhooks as ghl
from integrations.models import (
    Connection,
    ConnectionStatus,
    SignatureVerdict,
    WebhookEvent,
    WebhookSource,
    WebhookStatus,
)
from integrations.sync.dispatch import dispatch_webhook_event

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _max_body_bytes() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def _headers_subset(request: HttpRequest) -> dict:
    """Which signature headers came (names only) and the content type; nothing secret."""
    return {
        "signature_headers": [h for h in ghl.SIGNATURE_HEADERS if request.headers.get(h)],
        "content_type": request.headers.get("Content-Type", "")[:200],
        "user_agent": request.headers.get("User-Agent", "")[:200],
    }


def _text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL; JSON never needs a raw one.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _reply(event: WebhookEvent, http_status: int = 200, **extra) -> JsonResponse:
    body = {"status": event.status, "id": str(event.code), **extra}
    if event.status == WebhookStatus.REJECTED:
        body["error"] = event.note
    return JsonResponse(body, status=http_status)


def _resolve_connection(location_id: str) -> tuple[Connection | None, str]:
    if not location_id:
        return None, "no connection for location"
    matches = list(
        Connection.objects.filter(kind="ghl", account_id=location_id).order_by("pk")[:10]
    )
    if not matches:
        return None, "no connection for location"
    active = [c for c in matches if c.status == ConnectionStatus.ACTIVE] or matches
    note = f"{len(matches)} connections for location; using the first" if len(matches) > 1 else ""
    return active[0], note


@csrf_exempt
@require_POST
def ghl_webhook(request: HttpRequest) -> JsonResponse:
    base = {"source_kind": WebhookSource.GHL, "headers": _headers_subset(request)}
    limit = _max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    raw = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(raw) > limit:
        event = WebhookEvent.objects.create(
            **base,
            signature_verdict=SignatureVerdict.MISSING
            if not base["headers"]["signature_headers"]
            else SignatureVerdict.INVALID,
            status=WebhookStatus.REJECTED,
            note=f"body larger than {limit} bytes (not stored, not verified)",
        )
        return _reply(event, 413)

    base["raw_body"] = _text(raw)

    try:
        verdict = ghl.verify_signature(raw, request.headers)
    except ghl.WebhookKeyError:
        log.exception("GHL webhook public key unavailable")
        event = WebhookEvent.objects.create(
            **base,
            signature_verdict=SignatureVerdict.INVALID,
            status=WebhookStatus.REJECTED,
            note="signature could not be checked: webhook public key unavailable",
        )
        return _reply(event, 500)

    # Best-effort fields for operators even when the delivery is rejected.
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    fields = {}
    if isinstance(payload, dict):
        fields = {
            "event_type": str(payload.get("type") or "")[:100],
            "dedupe_key": str(payload.get("webhookId") or "")[:200],
        }

    if not verdict.valid:
        event = WebhookEvent.objects.create(
            **base,
            **fields,
            signature_verdict=verdict.verdict,
            status=WebhookStatus.REJECTED,
            note=verdict.note,
        )
        log.warning("GHL webhook %s rejected: %s", event.code, verdict.note)
        return _reply(event, 401)

    base["signature_verdict"] = verdict.verdict
    if not isinstance(payload, dict):
        event = WebhookEvent.objects.create(
            **base, status=WebhookStatus.REJECTED, note="body is not a JSON object"
        )
        return _reply(event, 400)

    stale = ghl.check_timestamp(payload.get("timestamp"))
    if stale:
        event = WebhookEvent.objects.create(
            **base, **fields, status=WebhookStatus.REJECTED, note=stale
        )
        return _reply(event, 401)

    location_id = payload.get("locationId")
    location_id = location_id if isinstance(location_id, str) else ""
    connection, note = _resolve_connection(location_id)
    known = fields["event_type"] in ghl.KNOWN_EVENT_TYPES
    status = WebhookStatus.RECEIVED if known else WebhookStatus.IGNORED
    if not known:
        note = "; ".join(filter(None, [f"unknown event type {fields['event_type']!r}", note]))
    row = {
        **base,
        **fields,
        "workspace": connection.workspace if connection else None,
        "connection": connection,
    }

    dedupe_key = fields["dedupe_key"]
    original = (
        WebhookEvent.objects.filter(
            source_kind=WebhookSource.GHL,
            dedupe_key=dedupe_key,
            status__in=[WebhookStatus.RECEIVED, WebhookStatus.IGNORED, WebhookStatus.PROCESSED],
        ).first()
        if dedupe_key
        else None
    )
    if original is None:
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(**row, status=status, note=note[:500])
                # Runs are queued in the same transaction; their tasks go after commit.
                if status == WebhookStatus.RECEIVED:
                    dispatch_webhook_event(event)
        except IntegrityError:  # a concurrent delivery of the same webhookId won
            original = WebhookEvent.objects.filter(
                source_kind=WebhookSource.GHL,
                dedupe_key=dedupe_key,
                status__in=[
                    WebhookStatus.RECEIVED,
                    WebhookStatus.IGNORED,
                    WebhookStatus.PROCESSED,
                ],
            ).first()
            if original is None:
                raise
        else:
            return _reply(event)

    event = WebhookEvent.objects.create(
        **row,
        status=WebhookStatus.DUPLICATE,
        note=f"duplicate of {original.code}",
    )
    return _reply(event, original=str(original.code))
