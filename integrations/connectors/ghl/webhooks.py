"""Verifying GHL webhook deliveries (FACTS §7).

- ``x-ghl-signature``: base64 Ed25519 signature over the raw request body bytes.
- ``x-wh-signature``: legacy base64 RSA-SHA256 (PKCS#1 v1.5) over the same bytes; only
  looked at when no ``x-ghl-signature`` was sent.
- Replay window: the payload's ``timestamp`` must be within GHL_WEBHOOK_TOLERANCE_SECONDS
  (default 300) of now; duplicate ``webhookId`` values are caught by the receiver.

The public keys are read from the files named by GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE and
GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE (GHL's published keys in production) and cached per path.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.conf import settings
from django.utils import timezone

ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"
SIGNATURE_HEADERS = (ED25519_HEADER, RSA_HEADER)
DEFAULT_TOLERANCE_SECONDS = 300

# Event types we accept (``type`` field); anything else is stored and ignored.
KNOWN_EVENT_TYPES = frozenset(
    {
        "ContactCreate",
        "ContactUpdate",
        "ContactDelete",
        "ContactTagUpdate",
        "ContactDndUpdate",
        "TaskCreate",
        "TaskComplete",
        "TaskDelete",
        "NoteCreate",
        "NoteUpdate",
        "NoteDelete",
        "AppointmentCreate",
        "AppointmentUpdate",
        "AppointmentDelete",
        "OpportunityCreate",
        "OpportunityUpdate",
        "OpportunityDelete",
        "OpportunityStageUpdate",
        "OpportunityStatusUpdate",
        "OpportunityMonetaryValueUpdate",
        "OpportunityAssignedToUpdate",
        "InboundMessage",
        "OutboundMessage",
        "INSTALL",
        "UNINSTALL",
    }
)


class WebhookKeyError(Exception):
    """A configured public key file is missing or not a key of the expected type."""


@dataclass(frozen=True)
class Verdict:
    verdict: str  # valid_ed25519 | valid_rsa | invalid | missing
    note: str = ""

    @property
    def valid(self) -> bool:
        return self.verdict.startswith("valid_")


@lru_cache(maxsize=8)
def _load_public_key(path: str, expected: type) -> Any:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise WebhookKeyError(f"cannot load webhook public key {path}: {exc}") from exc
    if not isinstance(key, expected):
        raise WebhookKeyError(f"{path} is not a {expected.__name__}")
    return key


def ed25519_public_key() -> ed25519.Ed25519PublicKey | None:
    path = getattr(settings, "GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE", "")
    return _load_public_key(str(path), ed25519.Ed25519PublicKey) if path else None


def rsa_public_key() -> rsa.RSAPublicKey | None:
    path = getattr(settings, "GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE", "")
    return _load_public_key(str(path), rsa.RSAPublicKey) if path else None


def _decode_signature(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_signature(body: bytes, headers: Any) -> Verdict:
    """Check the raw body against the signature headers (a case-insensitive mapping).

    Raises WebhookKeyError when the needed key cannot be loaded (a configuration fault,
    not the sender's).
    """
    ed_sig = headers.get(ED25519_HEADER)
    if ed_sig:
        key = ed25519_public_key()
        if key is None:
            return Verdict("invalid", "no Ed25519 public key configured")
        raw = _decode_signature(ed_sig)
        if raw is None:
            return Verdict("invalid", f"{ED25519_HEADER} is not base64")
        try:
            key.verify(raw, body)
        except InvalidSignature:
            return Verdict("invalid", f"{ED25519_HEADER} does not match the body")
        return Verdict("valid_ed25519")
    rsa_sig = headers.get(RSA_HEADER)
    if rsa_sig:
        key = rsa_public_key()
        if key is None:
            return Verdict("invalid", "no RSA public key configured")
        raw = _decode_signature(rsa_sig)
        if raw is None:
            return Verdict("invalid", f"{RSA_HEADER} is not base64")
        try:
            key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return Verdict("invalid", f"{RSA_HEADER} does not match the body")
        return Verdict("valid_rsa")
    return Verdict("missing", "no signature header")


def tolerance_seconds() -> int:
    return int(getattr(settings, "GHL_WEBHOOK_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS))


def parse_timestamp(value: Any) -> datetime | None:
    """GHL sends ISO-8601 (``2025-01-01T12:00:00.000Z``); epoch seconds/ms also accepted."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    return None


def check_timestamp(value: Any, now: datetime | None = None) -> str:
    """Return "" when the timestamp is inside the replay window, else why not."""
    if value is None or value == "":
        return "missing timestamp"
    parsed = parse_timestamp(value)
    if parsed is None:
        return "unparseable timestamp"
    skew = abs(((now or timezone.now()) - parsed).total_seconds())
    if skew > tolerance_seconds():
        return f"timestamp outside the replay window ({int(skew)}s from now)"
    return ""
