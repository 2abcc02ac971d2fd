"""Inbound signed events from Syncdeck: POST /sandbox/yourapp/hooks/syncdeck.

Order: count -> injected faults (503/429/slow; such requests are not stored) -> signature
(missing/invalid/stale -> 401) -> JSON (400) -> duplicate id (200 duplicate) -> 200.
Every delivery past the faults is stored, whatever its verdict.
"""

from __future__ import annotations

import json

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.ghl.api import retry_locked
from sandbox.models import SandboxYourAppConfig, SandboxYourAppEvent

from .common import SIGNATURE_HEADER, BadJSON, bump, error, maybe_fault, parse_object, verify_header


def _best_effort(raw: bytes) -> tuple[str, str]:
    """(event id, type) from a body that may be anything."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("id") or "")[:200], str(data.get("type") or "")[:100]


def _store(raw: bytes, event_id: str, type_: str, verdict: str, status: int, first: bool):
    fields = {
        "event_id": event_id,
        "type": type_,
        "raw_body": raw.decode("utf-8", errors="replace"),
        "signature": verdict,
        "status_code": status,
    }
    if not first:
        return SandboxYourAppEvent.objects.create(**fields)
    try:
        with transaction.atomic():
            return SandboxYourAppEvent.objects.create(**fields, first_key=event_id)
    except IntegrityError:
        return SandboxYourAppEvent.objects.create(**fields, duplicate=True)


@csrf_exempt
def syncdeck(request):
    if request.method != "POST":
        response = error(405, "method_not_allowed")
        response["Allow"] = "POST"
        return response
    bump("hook_requests")
    config = SandboxYourAppConfig.load()
    fault = maybe_fault(config)
    if fault is not None:
        return fault
    return _receive(request, config)


@retry_locked
@transaction.atomic
def _receive(request, config: SandboxYourAppConfig):
    raw = request.body
    verdict = verify_header(config.webhook_secret, request.headers.get(SIGNATURE_HEADER), raw)
    if verdict != SandboxYourAppEvent.VALID:
        event_id, type_ = _best_effort(raw)
        _store(raw, event_id, type_, verdict, 401, first=False)
        bump("received_events")
        return error(401, "invalid signature")
    try:
        data = parse_object(raw)
    except BadJSON:
        _store(raw, "", "", verdict, 400, first=False)
        bump("received_events", "valid_events")
        return error(400, "invalid_json")
    event_id, type_ = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(type_, str) or not type_:
        _store(raw, *_best_effort(raw), verdict, 400, first=False)
        bump("received_events", "valid_events")
        return error(400, "invalid_event", message="id and type must be non-empty strings")
    event = _store(raw, event_id[:200], type_[:100], verdict, 200, first=True)
    bump("received_events", "valid_events")
    if event.duplicate:
        bump("duplicate_events")
        return JsonResponse({"received": True, "duplicate": True})
    return JsonResponse({"received": True})
