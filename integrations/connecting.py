"""Connecting, reconnecting, testing and disconnecting app accounts (plain functions).

Views call these; they never talk to a connector directly. OAuth `state` is a random token
kept in the user's session with what the flow was started for.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from integrations.connectors.base import CheckResult, ConnectorError
from integrations.connectors.registry import connector_class
from integrations.models import AuditEntry, Connection, ConnectionStatus, Workspace

STATE_TTL_SECONDS = 600
SESSION_KEY = "oauth_states"


class ConnectError(Exception):
    """A connect attempt failed; the message is for the person who tried."""


@dataclass
class OAuthStart:
    state: str
    url: str


def start_oauth(
    session: Any,
    workspace: Workspace,
    kind: str,
    scopes: list[str],
    *,
    reconnect: Connection | None = None,
    next_url: str = "",
) -> OAuthStart:
    cls = connector_class(kind)
    if "oauth2" not in cls.auth_methods:
        raise ConnectError(f"{cls.label} does not connect through OAuth")
    unknown = set(scopes) - cls.scope_names()
    if unknown:
        raise ConnectError(f"unknown scope(s): {', '.join(sorted(unknown))}")
    if not scopes:
        raise ConnectError("choose at least one scope")
    state = secrets.token_urlsafe(32)
    states = {
        key: value
        for key, value in session.get(SESSION_KEY, {}).items()
        if value["at"] > time.time() - STATE_TTL_SECONDS
    }
    states[state] = {
        "kind": kind,
        "workspace": workspace.pk,
        "scopes": scopes,
        "reconnect": str(reconnect.code) if reconnect else None,
        "next": next_url,
        "at": time.time(),
    }
    session[SESSION_KEY] = states
    placeholder = Connection(workspace=workspace, kind=kind)
    url = cls(placeholder).authorization_url(state, scopes)
    return OAuthStart(state=state, url=url)


@sensitive_variables()
def finish_oauth(
    session: Any,
    workspace: Workspace,
    user: Any,
    kind: str,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    error_description: str | None = None,
) -> Connection:
    states = session.get(SESSION_KEY, {})
    started = states.pop(state, None) if state else None
    session[SESSION_KEY] = states
    label = connector_class(kind).label
    if not state or started is None:
        raise ConnectError(
            f"The answer from {label} did not match a connection started here (missing or "
            "unknown state). Nothing was saved; start the connection again."
        )
    if started["at"] < time.time() - STATE_TTL_SECONDS:
        raise ConnectError("That connection attempt expired. Nothing was saved; start again.")
    if started["kind"] != kind or started["workspace"] != workspace.pk:
        raise ConnectError("That connection was started for another workspace or app.")
    if error:
        detail = f" ({error_description})" if error_description else ""
        raise ConnectError(f"{label} did not grant access: {error}{detail}. Nothing was saved.")
    if not code:
        raise ConnectError(f"{label} sent no authorization code. Nothing was saved.")
    session["oauth_next"] = started.get("next") or ""

    existing = None
    if started["reconnect"]:
        existing = Connection.objects.filter(workspace=workspace, code=started["reconnect"]).first()
    connection = Connection(workspace=workspace, kind=kind, created_by=user)
    connection.scopes_requested = started["scopes"]
    try:
        connection.connector.complete_authorization(code)
    except ConnectorError as exc:
        raise ConnectError(f"{label} refused the authorization: {exc.message}") from exc

    with transaction.atomic():
        if existing is None:
            existing = Connection.objects.filter(
                workspace=workspace, kind=kind, account_id=connection.account_id
            ).first()
        if existing is not None:
            # Reconnecting keeps the connection's identity (flows point at it).
            for field in (
                "auth_method",
                "credentials_encrypted",
                "scopes_requested",
                "scopes_granted",
                "account_id",
                "account_name",
                "company_id",
                "expires_at",
                "last_refreshed_at",
            ):
                setattr(existing, field, getattr(connection, field))
            existing.status = ConnectionStatus.ACTIVE
            existing.last_error = ""
            existing.save()
            AuditEntry.record(workspace, user, "connection.reconnected", str(existing))
            return existing
        connection.label = connection.account_name or f"{label} {connection.account_id}"
        connection.save()
        AuditEntry.record(
            workspace,
            user,
            "connection.created",
            str(connection),
            scopes=connection.scopes_granted,
        )
        return connection


@sensitive_variables()
def connect_with_token(
    workspace: Workspace,
    user: Any,
    kind: str,
    *,
    token: str,
    account_id: str,
    scopes: list[str],
    replace: Connection | None = None,
) -> Connection:
    """Connect with a static token (GHL Private Integration Token); test it first."""
    label = connector_class(kind).label
    connection = replace or Connection(workspace=workspace, kind=kind, created_by=user)
    connection.scopes_requested = scopes
    connection.scopes_granted = scopes
    connector = connection.connector
    try:
        connector.connect_with_pit(token.strip(), account_id.strip())
    except ConnectorError as exc:
        raise ConnectError(str(exc)) from exc
    result = connector.test()
    if not result.ok:
        raise ConnectError(f"{label} did not accept this token: {result.message}")
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = ""
    connection.last_checked_at = timezone.now()
    connection.last_check_ok = True
    connection.last_check_message = result.message
    if not connection.label:
        connection.label = connection.account_name or f"{label} {connection.account_id}"
    connection.save()
    AuditEntry.record(
        workspace,
        user,
        "connection.token_updated" if replace else "connection.created",
        str(connection),
        auth="pit",
    )
    return connection


@sensitive_variables()
def connect_with_form(
    workspace: Workspace,
    user: Any,
    kind: str,
    auth_method: str,
    values: dict[str, Any],
    *,
    replace: Connection | None = None,
) -> Connection:
    """Connect with one of the connector's connect forms; test the result before saving.

    A reconnect (`replace`) keeps the connection's identity, and blank secret fields keep
    the stored secrets (the connector decides)."""
    cls = connector_class(kind)
    if auth_method not in cls.connect_forms:
        raise ConnectError(f"{cls.label} does not connect with {auth_method!r}")
    connection = replace or Connection(workspace=workspace, kind=kind, created_by=user)
    connection.auth_method = auth_method
    connector = connection.connector
    try:
        connector.connect_with(auth_method, values)
        result = connector.test()
    except ConnectorError as exc:
        raise ConnectError(f"{cls.label}: {exc.message}. Nothing was saved.") from exc
    if not result.ok:
        raise ConnectError(f"{cls.label} did not accept these details: {result.message}")
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = ""
    connection.last_checked_at = timezone.now()
    connection.last_check_ok = True
    connection.last_check_message = result.message
    if not connection.label:
        connection.label = connection.account_name or f"{cls.label} {connection.account_id}"
    connection.save()
    AuditEntry.record(
        workspace,
        user,
        "connection.reconnected" if replace else "connection.created",
        str(connection),
        auth=auth_method,
    )
    return connection


def save_settings(connection: Connection, user: Any, values: dict[str, Any]) -> None:
    """Store a connection's settings form (e.g. the TimeTonic book and its tables)."""
    try:
        connection.connector.apply_settings(values)
    except ConnectorError as exc:
        raise ConnectError(exc.message) from exc
    connection.save()
    AuditEntry.record(connection.workspace, user, "connection.settings_changed", str(connection))


def rotate_inbound(connection: Connection, user: Any, what: str) -> None:
    """Rotate a connection's inbound webhook secret (`what="secret"`) or its inbound URL
    (anything else: the old URL stops answering), audited."""
    from integrations.connectors.rest import manage

    with transaction.atomic():
        if what == "secret":
            manage.rotate_secret(connection)
        else:
            manage.rotate_inbound_url(connection)
        AuditEntry.record(
            connection.workspace,
            user,
            f"connection.{'secret' if what == 'secret' else 'inbound_url'}_rotated",
            str(connection),
        )


def check_connection(connection: Connection) -> CheckResult:
    """Make a real call and record the outcome on the connection."""
    try:
        result = connection.connector.test()
    except ConnectorError as exc:  # e.g. refresh refused
        result = CheckResult(False, exc.message)
    connection.refresh_from_db()
    connection.mark_checked(result.ok, result.message)
    return result


def disconnect(connection: Connection, user: Any) -> None:
    """Delete the connection and its credentials; refused while a flow still uses it."""
    try:
        with transaction.atomic():
            AuditEntry.record(connection.workspace, user, "connection.deleted", str(connection))
            connection.delete()
    except ProtectedError as exc:
        users = sorted({str(o) for o in exc.protected_objects})
        raise ConnectError(
            f"{connection} is used by {', '.join(users[:5])}"
            f"{' and more' if len(users) > 5 else ''}: remove those flows first."
        ) from exc
