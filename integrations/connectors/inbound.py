"""How inbound webhook deliveries authenticate, for apps that do not sign them.

TIMIFY, Time To Pet and Zapier send no signature: their URL carries a shared secret in a
header (`X-Webhook-Secret`); TimeTonic's "Call an API" automation sends a bearer token.
Both compare in constant time. Our own generic apps sign (`rest/signing.py`). Every check
returns a `signing.Verdict`, so the receiver stores the verdict the same way for all.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from integrations.connectors.rest import signing

SECRET_HEADER = "X-Webhook-Secret"
VALID_SECRET = signing.VALID_SECRET


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def verify_header_secret(secret: str, given: str | None) -> signing.Verdict:
    if not given or not given.strip():
        return signing.Verdict(signing.MISSING, f"no {SECRET_HEADER} header")
    if not secret:
        return signing.Verdict(signing.INVALID, "no webhook secret configured for this URL")
    if not _same(secret, given.strip()):
        return signing.Verdict(signing.INVALID, f"wrong {SECRET_HEADER}")
    return signing.Verdict(VALID_SECRET)


def verify_bearer(secret: str, authorization: str | None) -> signing.Verdict:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if not token or scheme.lower() != "bearer":
        return signing.Verdict(signing.MISSING, "no Authorization: Bearer header")
    if not secret:
        return signing.Verdict(signing.INVALID, "no webhook secret configured for this URL")
    if not _same(secret, token.strip()):
        return signing.Verdict(signing.INVALID, "wrong bearer token")
    return signing.Verdict(VALID_SECRET)


def presented(auth: str, headers: Mapping[str, Any]) -> list[str]:
    """Names (never values) of the authentication headers a delivery carried."""
    name = {
        "signature": signing.SIGNATURE_HEADER,
        "header_secret": SECRET_HEADER,
        "bearer": "Authorization",
    }.get(auth)
    return [name] if name and headers.get(name) else []


def verify(
    auth: str, secret: str, headers: Mapping[str, Any], raw: bytes, now: float
) -> signing.Verdict:
    if auth == "signature":
        return signing.verify(
            secret,
            raw,
            headers.get(signing.SIGNATURE_HEADER),
            tolerance=signing.DEFAULT_TOLERANCE_SECONDS,
            now=now,
        )
    if auth == "header_secret":
        return verify_header_secret(secret, headers.get(SECRET_HEADER))
    if auth == "bearer":
        return verify_bearer(secret, headers.get("Authorization"))
    return signing.Verdict(signing.INVALID, "this connection takes no inbound webhooks")
