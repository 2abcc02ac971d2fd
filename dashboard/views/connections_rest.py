"""The page of a "Your App" (rest) connection: its paths per object, its inbound webhook
URL and secret (shown once, rotatable), and reconnecting with new credentials."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from dashboard.access import get_connection, workspace_view
from dashboard.forms_rest import PathsForm, ReconnectForm, RotateForm
from integrations import connecting
from integrations.connectors.base import ConnectorError
from integrations.connectors.rest import manage
from integrations.models import AuditEntry, Connection


def _rest_connection(request: HttpRequest, code: UUID) -> Connection:
    connection = get_connection(request, code)
    if connection.kind != "rest":
        raise Http404("not a Your App connection")
    return connection


@sensitive_variables()
@workspace_view("view")
def detail(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _rest_connection(request, code)
    can_manage = request.membership.can("manage")  # type: ignore[attr-defined]
    rows = manage.object_rows(connection)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("your role may not change connections")
        form = PathsForm(rows, request.POST)
        if form.is_valid():
            manage.set_paths(connection, form.paths())
            AuditEntry.record(
                request.workspace,  # type: ignore[attr-defined]
                request.user,
                "connection.paths_changed",
                str(connection),
            )
            messages.success(request, "Saved the paths.")
            return redirect("dashboard:connection_app", code=connection.code)
        status = 400
    else:
        form = PathsForm(rows)
    # A new or rotated secret is shown once, to someone who may manage the connection.
    fresh_secret = manage.take_unseen_secret(connection) if can_manage else ""
    secret = str(connection.credentials.get("webhook_secret") or "")
    path = connection.connector.inbound_path  # type: ignore[attr-defined]
    context = {
        "c": connection,
        "form": form,
        "fresh_secret": fresh_secret,
        "masked_secret": manage.mask(secret),
        "inbound_url": request.build_absolute_uri(path) if path else "",
        "auth_type": (connection.config.get("auth") or {}).get("type", ""),
        "title": f"{connection} · Your App connection",
    }
    response = render(request, "dashboard/connection_app.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a secret shown once
    return response


@require_POST
@workspace_view("manage")
def rotate(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _rest_connection(request, code)
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to rotate.")
        return redirect("dashboard:connection_app", code=connection.code)
    what = form.cleaned_data["what"]
    connecting.rotate_inbound(connection, request.user, what)
    if what == "secret":
        messages.success(request, "New webhook secret: copy it now and give it to the app.")
    else:
        messages.success(request, "New inbound URL: the old one no longer accepts events.")
    return redirect("dashboard:connection_app", code=connection.code)


# API keys, passwords and secrets stay out of DEBUG error pages and error reports.
@sensitive_post_parameters()
@workspace_view("manage")
@sensitive_variables()
def reconnect(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _rest_connection(request, code)
    config = connection.config or {}
    auth = config.get("auth") or {}
    initial = {
        "base_url": config.get("base_url", ""),
        "auth_type": auth.get("type", "bearer"),
        "header_name": auth.get("header_name", "X-API-Key"),
        "webhook_url": config.get("webhook_url", ""),
        "username": connection.credentials.get("username", ""),
    }
    form = ReconnectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = manage.reconnect(connection, form.cleaned_data)
        except ConnectorError as exc:
            form.add_error(None, exc.message)
        else:
            if result.ok:
                AuditEntry.record(
                    request.workspace,  # type: ignore[attr-defined]
                    request.user,
                    "connection.reconnected",
                    str(connection),
                )
                messages.success(request, f"Reconnected {connection}: {result.message}")
                return redirect("dashboard:connection_app", code=connection.code)
            form.add_error(None, f"The test call failed: {result.message}")
    return render(
        request,
        "dashboard/connection_app_reconnect.html",
        {"c": connection, "form": form, "title": f"Reconnect {connection}"},
        status=400 if form.errors else 200,
    )
