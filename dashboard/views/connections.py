from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from dashboard.access import get_connection, workspace_view
from dashboard.forms import ScopesForm, TokenForm, safe_next
from integrations import connecting, tasks
from integrations.connectors.base import Connector
from integrations.connectors.registry import CONNECTORS, all_connector_classes, connector_class


def _next_url(request: HttpRequest) -> str:
    """Where to go after connecting (the wizard), if it is a path of this site."""
    return safe_next(request, "", request.POST if "next" in request.POST else request.GET)


def _connector_or_404(kind: str) -> type[Connector]:
    if kind not in CONNECTORS:
        raise Http404("no such app")
    return connector_class(kind)


@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    connections = request.workspace.connections.all()  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/connections.html",
        {"connections": connections, "apps": all_connector_classes(), "title": "Connections"},
    )


@require_GET
@workspace_view("view")
def card(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = get_connection(request, code)
    return render(request, "dashboard/connections.html#connection-card", {"c": connection})


@workspace_view("manage")
def new_oauth(request: HttpRequest, kind: str) -> HttpResponse:
    cls = _connector_or_404(kind)
    if "oauth2" not in cls.auth_methods:
        raise Http404("this app does not connect through OAuth")
    form = ScopesForm(cls, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            start = connecting.start_oauth(
                request.session,
                request.workspace,
                kind,
                form.cleaned_data["scopes"],  # type: ignore[attr-defined]
                next_url=_next_url(request),
            )
        except connecting.ConnectError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(start.url)
    return render(
        request,
        "dashboard/connect_oauth.html",
        {"form": form, "app": cls, "title": f"Connect {cls.label}", "next": _next_url(request)},
    )


@require_GET
@workspace_view("manage")
def oauth_callback(request: HttpRequest, kind: str) -> HttpResponse:
    _connector_or_404(kind)
    try:
        connection = connecting.finish_oauth(
            request.session,
            request.workspace,  # type: ignore[attr-defined]
            request.user,
            kind,
            state=request.GET.get("state"),
            code=request.GET.get("code"),
            error=request.GET.get("error"),
            error_description=request.GET.get("error_description"),
        )
    except connecting.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:connections")
    messages.success(request, f"Connected {connection}.")
    return redirect(request.session.pop("oauth_next", "") or "dashboard:connections")


# The token stays out of DEBUG error pages and error reports (POST data and locals).
@sensitive_post_parameters()
@workspace_view("manage")
@sensitive_variables()
def new_token(request: HttpRequest, kind: str, code: UUID | None = None) -> HttpResponse:
    cls = _connector_or_404(kind)
    if "pit" not in cls.auth_methods:
        raise Http404("this app does not take a static token")
    existing = get_connection(request, code) if code else None
    form = TokenForm(
        cls,
        request.POST or None,
        initial_scopes=existing.scopes_requested if existing else None,
        initial={"account_id": existing.account_id} if existing else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            connection = connecting.connect_with_token(
                request.workspace,  # type: ignore[attr-defined]
                request.user,
                kind,
                token=form.cleaned_data["token"],
                account_id=form.cleaned_data["account_id"],
                scopes=form.cleaned_data["scopes"],
                replace=existing,
            )
        except connecting.ConnectError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connected {connection} with a Private Integration Token.")
            return redirect(_next_url(request) or "dashboard:connections")
    return render(
        request,
        "dashboard/connect_token.html",
        {
            "form": form,
            "app": cls,
            "existing": existing,
            "title": f"Connect {cls.label} with a token",
        },
    )


@require_POST
@workspace_view("operate")
def test(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = get_connection(request, code)
    # The call to the outside app runs in a worker; the card polls until it has an answer.
    seen = connection.last_checked_at.isoformat() if connection.last_checked_at else ""
    tasks.test_connection.delay(connection.pk)
    connection.refresh_from_db()
    context = {"c": connection, "testing": True, "seen": seen}
    if request.htmx:
        return render(request, "dashboard/connections.html#connection-card", context)
    return redirect("dashboard:connections")


@require_GET
@workspace_view("view")
def test_status(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = get_connection(request, code)
    seen = request.GET.get("seen", "")
    current = connection.last_checked_at.isoformat() if connection.last_checked_at else ""
    testing = current == seen
    response = render(
        request,
        "dashboard/connections.html#connection-card",
        {"c": connection, "testing": testing, "seen": seen},
    )
    return response


@require_POST
@workspace_view("manage")
def reconnect(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = get_connection(request, code)
    if connection.auth_method in connection.connector.connect_forms:
        return redirect(
            "dashboard:connection_form_replace",
            code=connection.code,
            kind=connection.kind,
            method=connection.auth_method,
        )
    if connection.auth_method in ("api_key", "shared_secret"):  # a Your App connection
        return redirect("dashboard:connection_app_reconnect", code=connection.code)
    if connection.auth_method != "oauth2":
        return redirect(
            "dashboard:connection_token_replace", kind=connection.kind, code=connection.code
        )
    scopes = request.POST.getlist("scopes") or connection.scopes_requested
    try:
        start = connecting.start_oauth(
            request.session,
            request.workspace,
            connection.kind,
            scopes,
            reconnect=connection,  # type: ignore[attr-defined]
            next_url=_next_url(request),
        )
    except connecting.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:connections")
    return redirect(start.url)


@require_POST
@workspace_view("manage")
def disconnect(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = get_connection(request, code)
    name = str(connection)
    try:
        connecting.disconnect(connection, request.user)
    except connecting.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:connections")
    messages.success(request, f"Disconnected {name}; its credentials were deleted.")
    return redirect("dashboard:connections")
