"""Stored webhook events of the workspace, and replaying one through its flows again."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dashboard.access import workspace_view
from dashboard.views.runs import get_event, keyset_page, next_or, page_url
from integrations import runs as run_actions
from integrations.models import WebhookEvent


def workspace_events(request: HttpRequest):  # type: ignore[no-untyped-def]
    return WebhookEvent.objects.filter(
        workspace=request.workspace  # type: ignore[attr-defined]
    ).annotate(run_count=Count("runs"))


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    events, cursor = keyset_page(
        workspace_events(request), request.GET.get("before", ""), field="received_at"
    )
    return render(
        request,
        "dashboard/events.html",
        {
            "title": "Webhook events",
            "events": events,
            "older_url": page_url(request, cursor) if cursor else "",
            "paged": bool(request.GET.get("before")),
        },
    )


@require_POST
@workspace_view("operate")
def replay(request: HttpRequest, code: UUID) -> HttpResponse:
    event = get_event(request, code)
    done = next_or(request, "/events/")
    runs = run_actions.replay(event, request.user)
    if runs:
        text = f"Replayed: {len(runs)} run{'s' if len(runs) != 1 else ''} queued."
    else:
        text = f"Nothing replayed: no enabled flow listens to {event.event_type or 'this event'}."
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "dashboard/events.html#event-row",
            {"event": workspace_events(request).get(pk=event.pk), "replayed": runs, "text": text},
        )
    (messages.success if runs else messages.warning)(request, text)
    return redirect(done)
