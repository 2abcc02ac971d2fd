"""The live poll behind the overview and the navigation counts (static/js/live.js).

The page sends the version it shows; when nothing changed the answer is 204 (htmx swaps
nothing) after one cheap query (integrations/live.py). Otherwise it is a new poller with
the new version, the navigation's failures count and, on the overview, its cards and
"needs attention" list, swapped out of band.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.access import workspace_view
from dashboard.views.overview import live_context
from integrations import live, stats


class LiveForm(forms.Form):
    v = forms.CharField(max_length=40, required=False)
    overview = forms.BooleanField(required=False)
    range = forms.ChoiceField(choices=[(key, key) for key in stats.RANGES], required=False)


@require_GET
@workspace_view("view")
def poll(request: HttpRequest) -> HttpResponse:
    form = LiveForm(request.GET)
    if not form.is_valid():
        return HttpResponse("Not a valid poll.", status=400)
    snapshot = live.snapshot(request.workspace)  # type: ignore[attr-defined]
    if snapshot.version == form.cleaned_data["v"]:
        return HttpResponse(status=204)
    on_overview = form.cleaned_data["overview"]
    context = {"live": snapshot, "live_overview": on_overview, "oob": True}
    if on_overview:
        range_key = form.cleaned_data["range"] or "24h"
        context.update(live_context(request.workspace, range_key))  # type: ignore[attr-defined]
    return render(request, "partials/_live.html", context)
