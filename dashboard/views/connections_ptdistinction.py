"""The Zapier setup page of a PT Distinction connection: the copy-paste instructions for
the operator's Zaps (inbound: the URL, the X-Webhook-Secret header, the Data rows per
trigger; outbound: the Catch Hook Zap and the fields we send), the secret shown once, and
rotating it. PT Distinction has no public API: Zapier is the whole route."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from dashboard.access import get_connection, workspace_view
from dashboard.forms_rest import RotateForm
from integrations import connecting
from integrations.connectors.ptdistinction import zapier
from integrations.connectors.rest import manage
from integrations.models import Connection


def _ptd_connection(request: HttpRequest, code: UUID) -> Connection:
    connection = get_connection(request, code)
    if connection.kind != "ptdistinction":
        raise Http404("not a PT Distinction connection")
    return connection


def _zaps() -> list[dict]:
    """Per trigger, the Zap's Data rows: the event name to type, email, the trigger's own
    field (group or package), then the rest of the contract."""
    zaps = []
    for trigger in zapier.TRIGGERS:
        data = [{"key": "event", "pick": f"type {trigger.event}", "required": True}]
        data += [
            {"key": key, "pick": pick, "required": required}
            for key, pick, required in zapier.INBOUND_FIELDS
            if key != "event"
        ]
        data[2:2] = [
            {"key": extra, "pick": zapier.EXTRA_FIELDS[extra], "required": True}
            for extra in trigger.extra
        ]
        zaps.append({"trigger": trigger, "data": data})
    return zaps


@sensitive_variables()
@workspace_view("view")
def setup(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _ptd_connection(request, code)
    can_manage = request.membership.can("manage")  # type: ignore[attr-defined]
    # A new or rotated secret is shown once, to someone who may manage the connection.
    fresh_secret = manage.take_unseen_secret(connection) if can_manage else ""
    secret = str(connection.credentials.get("webhook_secret") or "")
    path = connection.connector.inbound_path
    hook = connection.connector.hook_url  # type: ignore[attr-defined]
    context = {
        "c": connection,
        "app": type(connection.connector),
        "can_manage": can_manage,
        "fresh_secret": fresh_secret,
        "masked_secret": manage.mask(secret),
        "inbound_url": request.build_absolute_uri(path) if path else "",
        "zaps": _zaps(),
        "add_client_fields": zapier.ADD_CLIENT_FIELDS,
        "hook_host": hook.split("/")[2] if hook.count("/") >= 2 else "",
        "title": f"{connection} · Zapier setup",
    }
    response = render(request, "dashboard/connection_ptdistinction.html", context)
    response["Cache-Control"] = "no-store"  # the page may carry a secret shown once
    return response


@require_POST
@workspace_view("manage")
def rotate(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _ptd_connection(request, code)
    form = RotateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to rotate.")
        return redirect("dashboard:connection_zapier", code=connection.code)
    what = form.cleaned_data["what"]
    connecting.rotate_inbound(connection, request.user, what)
    if what == "secret":
        messages.success(request, "New secret: copy it now into the header of each Zap.")
    else:
        messages.success(request, "New inbound URL: paste it into each Zap; the old one is off.")
    return redirect("dashboard:connection_zapier", code=connection.code)
