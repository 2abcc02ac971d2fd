"""The generic inbound receiver: /webhooks/in/<inbound_token>/ for every app but GHL.

The unguessable token in the path picks the connection (unknown → 404, nothing stored; the
database keeps only the token's SHA-256 and its ciphertext); the connector says how a
delivery authenticates (`Connector.inbound_auth`): the Syncdeck-Signature HMAC for "Your
App", a shared secret in X-Webhook-Secret (TIMIFY, Time To Pet, Zapier) or a bearer token
(TimeTonic's "Call an API"), always with the connection's webhook secret. As for GHL, every
delivery to a known connection is stored before we answer, forged, stale and malformed ones
as "rejected" rows. Event ids are deduplicated per connection: the dedupe key is
"<connection pk>:<id>", so two apps that happen to use the same ids never swallow each
other's events. An event without an id is deduplicated by the hash of its body within the
replay window (a sender's retry sends the same bytes).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import safejson
from integrations.connectors import inbound
from integrations.connectors.rest import signing
from integrations.models import (
    Connection,
    WebhookEvent,
    WebhookSource,
    WebhookStatus,
)
from integrations.sync.dispatch import dispatch_webhook_event

from . import guard
from .guard import reply as _reply

log = logging.getLogger(__name__)

_OWNS_KEY = [WebhookStatus.RECEIVED, WebhookStatus.IGNORED, WebhookStatus.PROCESSED]
WINDOW_SECONDS = signing.DEFAULT_TOLERANCE_SECONDS


def _headers_subset(request: HttpRequest, connection: Connection) -> dict:
    """Which authentication header came (name only) and the content type; nothing secret."""
    return {
        "signature_headers": inbound.presented(connection.connector.inbound_auth, request.headers),
        "content_type": request.headers.get("Content-Type", "")[:200],
        "user_agent": request.headers.get("User-Agent", "")[:200],
    }


def _connection_for(token: str) -> Connection | None:
    if len(token) < 16:
        return None
    connection = (
        Connection.objects.select_related("workspace")
        .filter(inbound_token_digest=Connection.inbound_token_digest_of(token))
        .exclude(kind=WebhookSource.GHL)
        .order_by("pk")
        .first()
    )
    if connection is None or not connection.connector.inbound_auth:
        return None
    return connection


def _original(kind: str, keys: list[str], since: float | None = None) -> WebhookEvent | None:
    if not keys:
        return None
    found = WebhookEvent.objects.filter(source_kind=kind, dedupe_key__in=keys, status__in=_OWNS_KEY)
    if since is not None:
        found = found.filter(received_at__gte=datetime.fromtimestamp(since, tz=UTC))
    return found.order_by("pk").first()


def _dedupe_keys(connection: Connection, event_id: str, raw: bytes, clock: float) -> list[str]:
    """The key to store first, then the keys an earlier copy may hold.

    Without an id, the key is the body's hash and the window's time slot: a copy within
    the window holds this slot or the previous one (checked by time), and a slot key
    cannot clash with an older event outside the window.
    """
    if event_id:
        return [f"{connection.pk}:{event_id}"]
    digest = guard.body_digest(raw)
    slot = int(clock // WINDOW_SECONDS)
    return [
        f"{connection.pk}:sha256:{digest}:{slot}",
        f"{connection.pk}:sha256:{digest}:{slot - 1}",
    ]


@csrf_exempt
@require_POST
def rest_webhook(request: HttpRequest, token: str) -> JsonResponse:
    connection = _connection_for(token)
    if connection is None:
        return JsonResponse({"status": "not_found", "error": "unknown webhook URL"}, status=404)
    connector = connection.connector
    base = {
        "source_kind": connection.kind,
        "connection": connection,
        "workspace": connection.workspace,
        "headers": _headers_subset(request, connection),
    }
    limit = guard.max_body_bytes()
    raw = guard.read_body(request, limit)
    if raw is None:
        return guard.reject(
            request,
            b"",
            413,
            **base,
            signature_verdict=signing.INVALID
            if base["headers"]["signature_headers"]
            else signing.MISSING,
            note=f"body larger than {limit} bytes (not stored, not verified)",
        )

    clock = guard.now()
    secret = str(connection.credentials.get("webhook_secret") or "")
    verdict = connector.verify_inbound(request.headers, raw, clock)

    # Best-effort fields for operators even when the delivery is rejected.
    try:
        payload = safejson.loads(raw)
        unusable = "body is not a JSON object"
    except ValueError as exc:
        payload = None
        unusable = f"body is not usable JSON: {exc}"[:300]
    event_type = event_id = ""
    if isinstance(payload, dict):
        event_type, event_id = connector.inbound_event(payload)
    fields = {
        "event_type": event_type,
        "dedupe_key": f"{connection.pk}:{event_id}" if event_id else "",
    }

    if not verdict.ok:
        log.warning("inbound webhook for connection %s rejected: %s", connection.pk, verdict.note)
        return guard.reject(
            request,
            raw,
            500 if not secret else 401,
            **base,
            **fields,
            signature_verdict=verdict.verdict,
            note=verdict.note,
        )

    base["signature_verdict"] = verdict.verdict
    if not isinstance(payload, dict):
        return guard.reject(request, raw, 400, **base, note=unusable)

    keys = _dedupe_keys(connection, event_id, raw, clock)
    since = None if event_id else clock - WINDOW_SECONDS
    fields["dedupe_key"] = keys[0]
    note = "" if event_id else "no event id: deduplicated by body hash within the replay window"
    row = {**base, **fields, "raw_body": guard.body_text(raw)}
    with transaction.atomic():
        original = _original(connection.kind, keys, since)
        if original is None:
            try:
                with transaction.atomic():
                    event = WebhookEvent.objects.create(
                        **row, status=WebhookStatus.RECEIVED, note=note
                    )
            except IntegrityError:  # a concurrent delivery of the same id won
                original = _original(connection.kind, keys[:1])
                if original is None:
                    raise
            else:
                dispatch_webhook_event(event)
                return _reply(event)
        event = WebhookEvent.objects.create(
            **row, status=WebhookStatus.DUPLICATE, note=f"duplicate of {original.code}"
        )
    return _reply(event, original=str(original.code))
