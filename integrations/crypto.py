"""Encryption of credentials at rest: Fernet keys from settings, rotatable (MultiFernet)."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _keys() -> tuple[Fernet, ...]:
    """The configured keys, newest (the one that encrypts) first."""
    keys = list(settings.SYNCDECK_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(("syncdeck-credentials:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return tuple(Fernet(key.encode() if isinstance(key, str) else key) for key in keys)


@cache
def _fernet() -> MultiFernet:
    return MultiFernet(list(_keys()))


def reset_keys_cache() -> None:
    _keys.cache_clear()
    _fernet.cache_clear()


class DecryptionError(Exception):
    """The stored secret cannot be read with any configured key."""


def encrypt_json(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise DecryptionError("credentials cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (after adding a key in front of the list).

    Raises DecryptionError when no configured key reads the token.
    """
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("cannot be decrypted with any configured key") from exc


def encrypted_with_newest_key(token: str) -> bool:
    """True when the first key of SYNCDECK_ENCRYPTION_KEYS reads the token."""
    try:
        _keys()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


# version byte + timestamp + IV + at least one AES block + HMAC
_MIN_TOKEN_BYTES = 1 + 8 + 16 + 16 + 32


def looks_encrypted(value: str) -> bool:
    """Whether a stored value has the shape of a Fernet token (whatever the key)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return len(raw) >= _MIN_TOKEN_BYTES and raw[0] == 0x80


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
