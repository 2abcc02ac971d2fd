"""Managing a "Your App" connection after it exists: paths per object, the inbound webhook
URL and its secret (shown once, rotatable), and reconnecting with new credentials.

Views call these; they hold no HTTP of their own except `reconnect`'s test call.
"""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from integrations.connectors.base import CheckResult, ConnectorError
from integrations.connectors.rest.catalog import DEFAULT_OBJECTS, VERBS

if TYPE_CHECKING:
    from integrations.models import Connection

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Set when a secret was made or changed and nobody has seen it yet (never the secret).
UNSEEN = "webhook_secret_unseen"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def object_rows(connection: Connection) -> list[dict[str, Any]]:
    """Per object (configured ones, then the usual ones not configured yet), per verb: the
    method, path and query, for the page and the paths form."""
    objects = dict(connection.config.get("objects") or {})
    for name in DEFAULT_OBJECTS:
        objects.setdefault(name, {})
    rows = []
    for name, verbs in objects.items():
        verbs = verbs if isinstance(verbs, dict) else {}
        rows.append(
            {
                "object": name,
                "verbs": [
                    {
                        "verb": verb,
                        "method": str((verbs.get(verb) or {}).get("method") or "").upper(),
                        "path": str((verbs.get(verb) or {}).get("path") or ""),
                        "query": (verbs.get(verb) or {}).get("query") or {},
                        "default": DEFAULT_OBJECTS.get(name, {}).get(verb) or {},
                    }
                    for verb in VERBS
                    if verb in verbs or verb in DEFAULT_OBJECTS.get(name, {})
                ],
            }
        )
    return rows


def set_paths(connection: Connection, paths: dict[tuple[str, str], tuple[str, str]]) -> None:
    """Set (object, verb) → (method, path); an empty path removes that operation, and an
    object left without operations is removed. Other settings of a verb (query, list
    paging) are kept, or taken from the defaults for a verb that was not configured."""
    objects = copy.deepcopy(connection.config.get("objects") or {})
    for (name, verb), (method, path) in paths.items():
        if method not in METHODS or (path and not path.startswith("/")):
            raise ConnectorError(f"{name}.{verb}: give a method and a path starting with /")
        verbs = objects.setdefault(name, {})
        if not path:
            verbs.pop(verb, None)
            continue
        spec = verbs.get(verb) or copy.deepcopy(DEFAULT_OBJECTS.get(name, {}).get(verb) or {})
        spec.update({"method": method, "path": path})
        verbs[verb] = spec
    objects = {name: verbs for name, verbs in objects.items() if any(v in verbs for v in VERBS)}
    config = dict(connection.config)
    config["objects"] = objects
    connection.config = config
    connection.save(update_fields=["config", "updated"])


@sensitive_variables()
def rotate_secret(connection: Connection) -> None:
    """A new webhook secret (both directions); the app must be given it."""
    creds = connection.credentials
    creds["webhook_secret"] = new_secret()
    connection.credentials = creds
    connection.config = {**connection.config, UNSEEN: True}
    connection.save(update_fields=["credentials_encrypted", "config", "updated"])


def rotate_inbound_url(connection: Connection) -> None:
    """A new inbound URL: the old one stops working at once."""
    connection.set_inbound_token(secrets.token_urlsafe(24))
    connection.save(update_fields=["inbound_token", "inbound_token_digest", "updated"])


@sensitive_variables()
def take_unseen_secret(connection: Connection) -> str:
    """The webhook secret if nobody has seen it yet (and mark it seen), else ""."""
    with transaction.atomic():
        row = type(connection).objects.select_for_update().get(pk=connection.pk)
        if not row.config.get(UNSEEN):
            return ""
        row.config = {k: v for k, v in row.config.items() if k != UNSEEN}
        row.save(update_fields=["config", "updated"])
    connection.config = row.config
    return str(row.credentials.get("webhook_secret") or "")


def mask(secret: str) -> str:
    return (secret[:6] + "…" + "•" * 8) if secret else ""


@sensitive_variables()
def reconnect(connection: Connection, data: dict[str, Any]) -> CheckResult:
    """Configure the connection with new credentials (blank secrets keep the stored ones),
    test them, and save only if the test passes. Raises ConnectorError on bad settings."""
    from integrations.models import ConnectionStatus

    connection.connector.configure(
        data.get("base_url") or "",
        data.get("auth_type") or "bearer",
        api_key=data.get("api_key") or "",
        header_name=data.get("header_name") or "",
        username=data.get("username") or "",
        password=data.get("password") or "",
        webhook_url=data.get("webhook_url") or "",
        webhook_secret=data.get("webhook_secret") or "",
    )
    result = connection.connector.test()
    if not result.ok:
        return result
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = ""
    connection.save()
    connection.mark_checked(True, result.message)
    return result
