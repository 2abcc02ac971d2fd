"""System checks that refuse an unsafe production start.

With DEBUG off the app must not run on the demo's embedded pieces: a filesystem broker
(one machine, no durability across hosts), no Redis (per-process rate limits and locks,
so GHL's single-use refresh tokens race) or a key derived from the install path (anyone
with the source can forge sessions). `manage.py` commands run these checks; the WSGI
application and the Celery worker and beat run them at start too (refuse_unsafe_start),
because gunicorn and Celery skip Django's checks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TAG = "syncdeck"
DEMO_HINT = "For the local demo set SYNCDECK_DEMO=true instead."


@checks.register(TAG)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[checks.CheckMessage] = []
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        errors.append(
            checks.Error(
                "CELERY_BROKER_URL is the demo's filesystem:// broker while DEBUG is off.",
                hint="Set CELERY_BROKER_URL to a Redis URL, e.g. redis://host:6379/0. " + DEMO_HINT,
                id="syncdeck.E001",
            )
        )
    if not settings.REDIS_URL:
        errors.append(
            checks.Error(
                "REDIS_URL is not set while DEBUG is off: the cache, the rate budget and the "
                "token-refresh locks would be per process.",
                hint="Set REDIS_URL, e.g. redis://host:6379/1. " + DEMO_HINT,
                id="syncdeck.E002",
            )
        )
    if not settings.SECRET_KEY or settings.SECRET_KEY.startswith("dev-insecure-"):
        errors.append(
            checks.Error(
                "SECRET_KEY is missing or the demo's key derived from the install path.",
                hint="Set SECRET_KEY to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(50))').",
                id="syncdeck.E003",
            )
        )
    errors.extend(_check_encryption_keys())
    return errors


def _check_encryption_keys() -> list[checks.CheckMessage]:
    from cryptography.fernet import Fernet

    keys = list(settings.SYNCDECK_ENCRYPTION_KEYS)
    hint = (
        "Set SYNCDECK_ENCRYPTION_KEYS to comma-separated Fernet keys, newest first "
        "(python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())')."
    )
    if not keys:
        return [
            checks.Error(
                "SYNCDECK_ENCRYPTION_KEYS is not set while DEBUG is off.",
                hint=hint,
                id="syncdeck.E004",
            )
        ]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return [
                checks.Error(
                    f"SYNCDECK_ENCRYPTION_KEYS: key number {position} is not a Fernet key.",
                    hint=hint,
                    id="syncdeck.E005",
                )
            ]
    return []


@checks.register(TAG, deploy=True)
def check_demo_pieces(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    warnings: list[checks.CheckMessage] = []
    if settings.SANDBOX_ENABLED:
        warnings.append(
            checks.Warning(
                "SANDBOX_ENABLED is on: /sandbox/ serves unauthenticated simulators and "
                "their control endpoints.",
                hint="Unset SANDBOX_ENABLED in production.",
                id="syncdeck.W001",
            )
        )
    if settings.HTTP_ALLOW_PRIVATE_TARGETS:
        warnings.append(
            checks.Warning(
                "HTTP_ALLOW_PRIVATE_TARGETS is on: user-given URLs may reach private and "
                "loopback addresses (SSRF).",
                hint="Unset HTTP_ALLOW_PRIVATE_TARGETS in production.",
                id="syncdeck.W002",
            )
        )
    return warnings


def refuse_unsafe_start() -> None:
    """Raise ImproperlyConfigured when a check above fails: for the processes (gunicorn,
    Celery) that do not run Django's system checks themselves."""
    errors = [m for m in checks.run_checks(tags=[TAG]) if m.is_serious()]
    if errors:
        raise ImproperlyConfigured(
            "Syncdeck refuses to start:\n" + "\n".join(f"  {e}" for e in errors)
        )
