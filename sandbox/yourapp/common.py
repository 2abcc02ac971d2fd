"""Shared pieces of Your App (demo): signatures, faults, counters, JSON helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse

from sandbox.kit import faults
from sandbox.models import SandboxYourAppConfig, SandboxYourAppCounter

SIGNATURE_HEADER = "Syncdeck-Signature"
TOLERANCE_SECONDS = 300


# --- Signatures -----------------------------------------------------------------------


def compute_signature(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """hex HMAC-SHA256(secret, f"{t}.{raw_body}")."""
    message = f"{timestamp}.".encode() + raw_body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_header(secret: str, raw_body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={compute_signature(secret, t, raw_body)}"


def verify_header(
    secret: str, header: str | None, raw_body: bytes, now: float | None = None
) -> str:
    """Return "valid", "invalid", "missing" or "stale" for a Syncdeck-Signature header."""
    if not header or not header.strip():
        return "missing"
    timestamp = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = value.strip()
        elif key == "v1":
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        return "invalid"
    try:
        t = int(timestamp)
    except ValueError:
        return "invalid"
    expected = compute_signature(secret, timestamp, raw_body)
    matched = False
    for candidate in candidates:  # check every one: no early exit on a match
        if hmac.compare_digest(expected, candidate):
            matched = True
    if not matched:
        return "invalid"
    now = time.time() if now is None else now
    if abs(now - t) > TOLERANCE_SECONDS:
        return "stale"
    return "valid"


# --- Faults ---------------------------------------------------------------------------


def _unavailable() -> JsonResponse:
    response = JsonResponse({"error": "unavailable"}, status=503)
    response["X-Sandbox-Fault"] = "injected"
    return response


def maybe_fault(config: SandboxYourAppConfig) -> HttpResponse | None:
    """Sleep for an injected delay, return an injected 503/429, or do nothing."""
    return faults.maybe_fault(
        config, _unavailable, lambda: JsonResponse({"error": "rate_limited"}, status=429)
    )


# --- Counters -------------------------------------------------------------------------


def bump(*names: str) -> None:
    """Add one to each named counter, atomically in the database (safe across processes)."""
    for attempt in range(8):
        try:
            _bump(names)
            return
        except OperationalError as exc:  # SQLite "database is locked" under contention
            if "locked" not in str(exc) or attempt == 7:
                raise
            time.sleep(0.02 * (attempt + 1))


@transaction.atomic
def _bump(names: tuple[str, ...]) -> None:
    for name in names:
        if SandboxYourAppCounter.objects.filter(name=name).update(value=F("value") + 1):
            continue
        try:
            with transaction.atomic():
                SandboxYourAppCounter.objects.create(name=name, value=1)
        except IntegrityError:  # another process created it first
            SandboxYourAppCounter.objects.filter(name=name).update(value=F("value") + 1)


def counters() -> dict[str, int]:
    return dict(SandboxYourAppCounter.objects.values_list("name", "value"))


# --- JSON -----------------------------------------------------------------------------


class BadJSON(Exception):
    pass


def parse_object(raw: bytes) -> dict:
    """The body as a JSON object, or BadJSON."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadJSON from None
    if not isinstance(data, dict):
        raise BadJSON
    return data


def error(status: int, code: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, **extra}, status=status)
