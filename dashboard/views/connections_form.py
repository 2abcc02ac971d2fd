"""Connecting an app with a form (keys, logins, feed URLs) and a connection's settings.

Which fields, and what they mean, is the connector's declaration (`connect_forms`,
`settings_fields`); these views only render and validate them and call `connecting`.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from dashboard.access import get_connection, workspace_view
from dashboard.forms import safe_next
from dashboard.forms_connect import DeclaredForm
from integrations import connecting
from integrations.connectors.base import ConnectorError
from integrations.connectors.registry import CONNECTORS, connector_class
from integrations.models import AuthMethod


def _next_url(request: HttpRequest) -> str:
    return safe_next(request, "", request.POST if "next" in request.POST else request.GET)


@sensitive_post_parameters()
@workspace_view("manage")
def connect(request: HttpRequest, kind: str, method: str, code: UUID | None = None) -> HttpResponse:
    if kind not in CONNECTORS:
        raise Http404("no such app")
    cls = connector_class(kind)
    if method not in cls.connect_forms:
        raise Http404("this app does not connect that way")
    existing = get_connection(request, code) if code else None
    if existing is not None and existing.kind != kind:
        raise Http404("no such connection")
    form = DeclaredForm(
        cls.connect_forms[method], request.POST or None, keep_secrets=existing is not None
    )
    if request.method == "POST" and form.is_valid():
        try:
            connection = connecting.connect_with_form(
                request.workspace,  # type: ignore[attr-defined]
                request.user,
                kind,
                method,
                form.cleaned_data,
                replace=existing,
            )
        except connecting.ConnectError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connected {connection}.")
            if cls.has_settings and not _next_url(request):
                return redirect("dashboard:connection_settings", connection.code)
            return redirect(_next_url(request) or "dashboard:connections")
    return render(
        request,
        "dashboard/connect_form.html",
        {
            "form": form,
            "app": cls,
            "existing": existing,
            "method": method,
            "method_label": dict(AuthMethod.choices).get(method, method),
            "next": _next_url(request),
            "title": f"Connect {cls.label}",
        },
    )


@sensitive_post_parameters()
@workspace_view("manage")
def settings(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = get_connection(request, code)
    connector = connection.connector
    try:
        specs = connector.settings_fields()
        problem = ""
    except ConnectorError as exc:
        specs, problem = (), f"{connector.label} could not be read: {exc.message}"
    if not specs and not problem:
        raise Http404("this connection has no settings")
    form = DeclaredForm(specs, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connecting.save_settings(connection, request.user, form.cleaned_data)
        except connecting.ConnectError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved the settings of {connection}.")
            return redirect(_next_url(request) or "dashboard:connections")
    return render(
        request,
        "dashboard/connection_settings.html",
        {
            "form": form,
            "connection": connection,
            "app": type(connector),
            "problem": problem,
            "next": _next_url(request),
            "title": f"Settings of {connection}",
        },
    )
