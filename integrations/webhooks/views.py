"""Inbound webhook receivers (no login, no CSRF: the signature is the authentication).

Every delivery is stored as a WebhookEvent before we answer, including forged, stale and
malformed ones (status "rejected", so operators can see them; see guard.py for how much of
them is kept, and how many a minute). Only HTTP 429 makes GHL retry, so any other answer
is final: a genuine event is never refused for a reason of ours (unknown location or type
is stored and answered 200).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import safejson
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

from . import guard
from .guard import reply as _reply

log = logging.getLogger(__name__)

_OWNS_KEY = [WebhookStatus.RECEIVED, WebhookStatus.IGNORED, WebhookStatus.PROCESSED]


def _headers_subset(request: HttpRequest) -> dict:
    """Which signature headers came (names only) and the content type; nothing secret."""
    return {
        "signature_headers": [h for h in ghl.SIGNATURE_HEADERS if request.headers.get(h)],
        "content_type": request.headers.get("Content-Type", "")[:200],
        "user_agent": request.headers.get("User-Agent", "")[:200],
    }


def _original(dedupe_key: str) -> WebhookEvent | None:
    if not dedupe_key:
        return None
    return WebhookEvent.objects.filter(
        source_kind=WebhookSource.GHL, dedupe_key=dedupe_key, status__in=_OWNS_KEY
    ).first()


def _resolve_connection(location_id: str) -> tuple[Connection | None, str]:
    if not location_id:
        return None, "no connection for location"
    matches = list(
        Connection.objects.filter(kind="ghl", account_id=location_id)
        .select_related("workspace")
        .order_by("pk")[:10]
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
    limit = guard.max_body_bytes()
    raw = guard.read_body(request, limit)
    if raw is None:
        return guard.reject(
            request,
            b"",
            413,
            **base,
            signature_verdict=SignatureVerdict.MISSING
            if not base["headers"]["signature_headers"]
            else SignatureVerdict.INVALID,
            note=f"body larger than {limit} bytes (not stored, not verified)",
        )

    try:
        verdict = ghl.verify_signature(raw, request.headers)
    except ghl.WebhookKeyError:
        log.exception("GHL webhook public key unavailable")
        return guard.reject(
            request,
            raw,
            500,
            **base,
            signature_verdict=SignatureVerdict.INVALID,
            note="signature could not be checked: webhook public key unavailable",
        )

    # Best-effort fields for operators even when the delivery is rejected.
    try:
        payload = safejson.loads(raw)
        unusable = "body is not a JSON object"
    except ValueError as exc:
        payload = None
        unusable = f"body is not usable JSON: {exc}"[:300]
    fields = {}
    if isinstance(payload, dict):
        fields = {
            "event_type": str(payload.get("type") or "")[:100],
            "dedupe_key": str(payload.get("webhookId") or "")[:200],
        }

    if not verdict.valid:
        log.warning("GHL webhook rejected: %s", verdict.note)
        return guard.reject(
            request,
            raw,
            401,
            **base,
            **fields,
            signature_verdict=verdict.verdict,
            note=verdict.note,
        )

    base["signature_verdict"] = verdict.verdict
    if not isinstance(payload, dict):
        return guard.reject(request, raw, 400, **base, note=unusable)

    stale = ghl.check_timestamp(payload.get("timestamp"))
    if stale:
        return guard.reject(request, raw, 401, **base, **fields, note=stale)

    base["raw_body"] = guard.body_text(raw)
    location_id = payload.get("locationId")
    location_id = location_id if isinstance(location_id, str) else ""
    connection, note = _resolve_connection(location_id)
    known = fields["event_type"] in ghl.KNOWN_EVENT_TYPES
    status = WebhookStatus.RECEIVED if known else WebhookStatus.IGNORED
    if not known:
        note = "; ".join(filter(None, [f"unknown event type {fields['event_type']!r}", note]))
    if not fields["dedupe_key"]:
        # The body carries its timestamp, which must be inside the replay window: the same
        # bytes can only arrive again within it, so their hash is a fair delivery id.
        fields["dedupe_key"] = "sha256:" + guard.body_digest(raw)
        note = "; ".join(filter(None, [note, "no webhookId: deduplicated by body hash"]))
    row = {
        **base,
        **fields,
        "workspace": connection.workspace if connection else None,
        "connection": connection,
    }

    # The unique index on (source, dedupe key) is the dedupe: insert first, and only when
    # it refuses look up the delivery that owns the key (no SELECT on the happy path).
    dedupe_key = fields["dedupe_key"]
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(**row, status=status, note=note[:500])
            # Runs are queued in the same transaction; their tasks go after commit (a
            # broker that is down leaves them queued for the reaper, see dispatch).
            if status == WebhookStatus.RECEIVED:
                dispatch_webhook_event(event)
    except IntegrityError:  # a delivery of the same webhookId was stored before
        original = _original(dedupe_key)
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
