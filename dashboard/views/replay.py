"""Replay a flow's failures with its current mapping: a dry run first (per run, what would
now be written, as a diff with what was sent), then new runs linked to the old ones."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from dashboard.access import workspace_view
from integrations.models import Flow
from integrations.sync import replay as actions


class ReplayForm(forms.Form):
    limit = forms.IntegerField(min_value=1, max_value=actions.MAX, initial=20, required=False)


@require_http_methods(["GET", "POST"])
@workspace_view("operate")
def replay(request: HttpRequest, code: UUID) -> HttpResponse:
    flow = get_object_or_404(
        Flow.objects.select_related("integration"),
        code=code,
        integration__workspace=request.workspace,  # type: ignore[attr-defined]
    )
    form = ReplayForm(request.POST if request.method == "POST" else (request.GET or None))
    limit = (form.cleaned_data.get("limit") if form.is_valid() else None) or 20
    runs = actions.failures(flow, limit)
    if request.method == "POST":  # a run the mapping would still refuse is left as it is
        fixed = [run for run in runs if actions.preview(run)["ok"]]
        made = actions.replay(fixed, request.user, flow)
        messages.success(
            request,
            f"{len(made)} failed run{'s' if len(made) != 1 else ''} replayed with the current "
            "mapping; each new run is linked to the one it replays.",
        )
        return redirect(f"/runs/?flow={flow.code}")
    previews = [actions.preview(run) for run in runs]
    return render(
        request,
        "dashboard/replay.html",
        {
            "title": f"Replay failures of {flow.name}",
            "flow": flow,
            "form": form,
            "limit": limit,
            "previews": previews,
            "fixed": sum(1 for p in previews if p["ok"]),
        },
    )
