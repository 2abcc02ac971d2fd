"""The generic inbound receiver: /webhooks/in/<inbound_token>/ for "Your App" connections.

The unguessable token in the path picks the connection (unknown → 404, nothing stored);
the Syncdeck-Signature header, HMAC-SHA256 with the connection's webhook secret, is the
authentication. As for GHL, every delivery to a known connection is stored before we
answer, forged, stale and malformed ones as "rejected" rows. Event ids are deduplicated
per connection: the dedupe key is "<connection pk>:<id>", so two apps that happen to use
the same ids never swallow each other's events.
"""

from __future__ import annotations

import json
import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.connectors.rest import signing
from integrations.models import (
    Connection,
    WebhookEvent,
    WebhookSource,
    WebhookStatus,
)
from integrations.sync.dispatch import dispatch_webhook_event

from .views import _max_body_bytes, _reply, _text

log = logging.getLogger(__name__)

_OWNS_KEY = [WebhookStatus.RECEIVED, WebhookStatus.IGNORED, WebhookStatus.PROCESSED]


def _headers_subset(request: HttpRequest) -> dict:
    """Which signature header came (name only) and the content type; nothing secret."""
    return {
        "signature_headers": [signing.SIGNATURE_HEADER]
        if request.headers.get(signing.SIGNATURE_HEADER)
        else [],
        "content_type": request.headers.get("Content-Type", "")[:200],
        "user_agent": request.headers.get("User-Agent", "")[:200],
    }


def _connection_for(token: str) -> Connection | None:
    if len(token) < 16:
        return None
    return (
        Connection.objects.select_related("workspace")
        .filter(kind="rest", config__inbound_token=token)
        .order_by("pk")
        .first()
    )


def _original(dedupe_key: str) -> WebhookEvent | None:
    if not dedupe_key:
        return None
    return WebhookEvent.objects.filter(
        source_kind=WebhookSource.REST, dedupe_key=dedupe_key, status__in=_OWNS_KEY
    ).first()


@csrf_exempt
@require_POST
def rest_webhook(request: HttpRequest, token: str) -> JsonResponse:
    connection = _connection_for(token)
    if connection is None:
        return JsonResponse({"status": "not_found", "error": "unknown webhook URL"}, status=404)
    base = {
        "source_kind": WebhookSource.REST,
        "connection": connection,
        "workspace": connection.workspace,
        "headers": _headers_subset(request),
    }
    limit = _max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    raw = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(raw) > limit:
        event = WebhookEvent.objects.create(
            **base,
            signature_verdict=signing.INVALID
            if base["headers"]["signature_headers"]
            else signing.MISSING,
            status=WebhookStatus.REJECTED,
            note=f"body larger than {limit} bytes (not stored, not verified)",
        )
        return _reply(event, 413)

    base["raw_body"] = _text(raw)
    secret = str(connection.credentials.get("webhook_secret") or "")
    verdict = signing.verify(secret, raw, request.headers.get(signing.SIGNATURE_HEADER))

    # Best-effort fields for operators even when the delivery is rejected.
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    event_type = event_id = ""
    if isinstance(payload, dict):
        event_type = str(payload.get("type") or "")[:100]
        event_id = str(payload.get("id") or "")[:150]
    fields = {
        "event_type": event_type,
        "dedupe_key": f"{connection.pk}:{event_id}" if event_id else "",
    }

    if not verdict.ok:
        event = WebhookEvent.objects.create(
            **base,
            **fields,
            signature_verdict=verdict.verdict,
            status=WebhookStatus.REJECTED,
            note=verdict.note,
        )
        log.warning("inbound webhook %s rejected: %s", event.code, verdict.note)
        return _reply(event, 500 if not secret else 401)

    base["signature_verdict"] = verdict.verdict
    if not isinstance(payload, dict):
        event = WebhookEvent.objects.create(
            **base, status=WebhookStatus.REJECTED, note="body is not a JSON object"
        )
        return _reply(event, 400)

    note = "" if event_id else "no event id: not deduplicated"
    row = {**base, **fields}
    with transaction.atomic():
        original = _original(fields["dedupe_key"])
        if original is None:
            try:
                with transaction.atomic():
                    event = WebhookEvent.objects.create(
                        **row, status=WebhookStatus.RECEIVED, note=note
                    )
            except IntegrityError:  # a concurrent delivery of the same id won
                original = _original(fields["dedupe_key"])
                if original is None:
                    raise
            else:
                dispatch_webhook_event(event)
                return _reply(event)
        event = WebhookEvent.objects.create(
            **row, status=WebhookStatus.DUPLICATE, note=f"duplicate of {original.code}"
        )
    return _reply(event, original=str(original.code))
