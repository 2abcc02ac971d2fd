"""Signed webhooks for generic apps, both directions (the Stripe style).

Header ``Syncdeck-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The MAC covers the exact bytes sent, and the timestamp, so a captured delivery cannot be
replayed outside the tolerance window. Several ``v1=`` entries may be sent (a sender
rotating its secret); one match is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

SIGNATURE_HEADER = "Syncdeck-Signature"
DEFAULT_TOLERANCE_SECONDS = 300

VALID = "valid_hmac"
VALID_SECRET = "valid_secret"  # a shared secret or bearer token matched (connectors/inbound.py)
INVALID = "invalid"
MISSING = "missing"


@dataclass(frozen=True)
class Verdict:
    """`verdict` is what the signature said (valid_hmac | invalid | missing); `fresh` says
    whether its timestamp was inside the window. Only a valid, fresh delivery is `ok`."""

    verdict: str
    note: str = ""
    fresh: bool = True
    timestamp: int | None = None

    @property
    def signature_valid(self) -> bool:
        return self.verdict in (VALID, VALID_SECRET)

    @property
    def ok(self) -> bool:
        return self.signature_valid and self.fresh


def _mac(secret: str, body: bytes, timestamp: int) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={int(timestamp)},v1={_mac(secret, body, int(timestamp))}"


def _parse(header: str) -> tuple[int | None, list[str]]:
    timestamp: int | None = None
    macs: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return None, []
        elif key == "v1" and value:
            macs.append(value.strip())
    return timestamp, macs


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> Verdict:
    """Check `header` against `body`; the signature first, then the replay window."""
    if not header or not header.strip():
        return Verdict(MISSING, f"no {SIGNATURE_HEADER} header")
    if not secret:
        return Verdict(INVALID, "no webhook secret configured to check the signature")
    timestamp, macs = _parse(header)
    if timestamp is None or not macs:
        return Verdict(INVALID, f"{SIGNATURE_HEADER} is not t=<seconds>,v1=<hex>")
    expected = _mac(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, mac) for mac in macs):
        return Verdict(INVALID, f"{SIGNATURE_HEADER} does not match the body", timestamp=timestamp)
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return Verdict(
            VALID,
            f"timestamp {timestamp} is outside the replay window of {tolerance} seconds",
            fresh=False,
            timestamp=timestamp,
        )
    return Verdict(VALID, timestamp=timestamp)
