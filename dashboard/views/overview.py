"""The monitoring overview (a card per integration, "needs attention" on top), charts of
runs over time, and the operator's actions on an integration: pause, resume, run now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.access import workspace_view
from dashboard.forms import PauseForm
from dashboard.views.runs import next_or
from integrations import bulk, lifecycle, stats
from integrations.connectors.base import ConnectorError
from integrations.models import Flow, Integration, IntegrationStatus

RANGE_TABS = [("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")]
COLOURS = {"succeeded": "#12805c", "retried": "#b7791f", "failed": "#c0362c"}


# --- chart geometry (server-rendered SVG) -----------------------------------------------


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass
class Tick:
    x: float
    y: float
    label: str


def chart(
    buckets: list[stats.Bucket],
    unit: str,
    *,
    width: int = 960,
    height: int = 260,
    axes: bool = True,
) -> dict[str, Any]:
    """Stacked bars (succeeded, retried, failed) with y ticks and x labels, as SVG shapes."""
    left, right, top, bottom = (48, 8, 12, 28) if axes else (0, 0, 2, 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((b.total for b in buckets), default=0)
    scale_max = _nice(peak)
    slot = plot_w / max(1, len(buckets))
    bar_w = max(1.0, slot * 0.75)
    when = "%b %-d, %H:00" if unit == "hour" else "%b %-d"
    rects, xlabels = [], []
    every = max(1, len(buckets) // 6)
    for i, bucket in enumerate(buckets):
        x = left + i * slot + (slot - bar_w) / 2
        base = top + plot_h
        for series in stats.SERIES:
            value = getattr(bucket, series)
            if not value:
                continue
            h = plot_h * value / scale_max
            base -= h
            rects.append(
                Rect(
                    round(x, 2),
                    round(base, 2),
                    round(bar_w, 2),
                    round(h, 2),
                    series,
                    f"{bucket.start:{when}}: {value} {series}",
                )
            )
        if axes and (i % every == 0):
            label = f"{bucket.start:%H:%M}" if unit == "hour" else f"{bucket.start:%b %-d}"
            xlabels.append(Tick(round(x + bar_w / 2, 2), height - 8, label))
    yticks = []
    if axes:
        for fraction in (0, 0.5, 1):
            value = scale_max * fraction
            yticks.append(Tick(left - 6, round(top + plot_h * (1 - fraction), 2), f"{value:g}"))
    return {
        "width": width,
        "height": height,
        "rects": rects,
        "xlabels": xlabels,
        "yticks": yticks,
        "left": left,
        "right_edge": width - right,
        "baseline": top + plot_h,
        "axes": axes,
        "total": sum(b.total for b in buckets),
        "totals": {s: sum(getattr(b, s) for b in buckets) for s in stats.SERIES},
        "colours": COLOURS,
        "unit": unit,
    }


def _nice(peak: int) -> int:
    """A round upper bound for the y axis (at least 1)."""
    if peak <= 4:
        return max(peak, 1) if peak in (1, 2) else 4
    magnitude = 10 ** (len(str(peak)) - 1)
    for factor in (1, 2, 5, 10):
        if peak <= factor * magnitude:
            return factor * magnitude
    return peak


# --- pages ------------------------------------------------------------------------------


def _range(request: HttpRequest) -> str:
    wanted = request.GET.get("range", "24h")
    return wanted if wanted in stats.RANGES else "24h"


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/overview.html",
        {"title": "Overview", **live_context(workspace, _range(request)), "live_overview": True},
    )


def live_context(workspace: Any, range_key: str) -> dict[str, Any]:
    """What the overview's live part (cards, "needs attention", the chart) renders; the
    live poll (dashboard/views/live.py) renders it again when something changed."""
    items = stats.overview(workspace)
    for item in items:
        item.sparkline = chart(item.buckets, "hour", width=240, height=44, axes=False)  # type: ignore[attr-defined]
    buckets, unit = stats.runs_over_time(workspace, range_key) if items else ([], "hour")
    return {
        "chart": chart(buckets, unit),
        "range": range_key,
        "range_tabs": RANGE_TABS,
        "items": items,
        "attention": stats.attention(workspace, items),
        "has_connections": workspace.connections.exists(),
        "ghl_interval": f"{float(settings.GHL_RATE_LIMIT_INTERVAL_SECONDS):g}",
    }


@require_GET
@workspace_view("view")
def charts(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    integrations = list(Integration.objects.filter(workspace=workspace).order_by("name"))
    selected = None
    wanted = request.GET.get("integration", "")
    if wanted:
        try:
            selected = next((i for i in integrations if i.code == UUID(wanted)), None)
        except ValueError:
            selected = None
        if selected is None:
            return HttpResponse(status=404)
    range_key = _range(request)
    buckets, unit = stats.runs_over_time(workspace, range_key, integration=selected)
    return render(
        request,
        "dashboard/charts.html",
        {
            "title": f"Runs over time · {selected.name}" if selected else "Runs over time",
            "integrations": integrations,
            "selected": selected,
            "chart": chart(buckets, unit),
            "range": range_key,
            "range_tabs": RANGE_TABS,
        },
    )


# --- actions ----------------------------------------------------------------------------


def get_integration(request: HttpRequest, code: UUID) -> Integration:
    return get_object_or_404(Integration, code=code, workspace=request.workspace)  # type: ignore[attr-defined]


@require_POST
@workspace_view("operate")
def pause(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    done = next_or(request, "/")
    form = PauseForm(request.POST)
    if not form.is_valid():
        return HttpResponse("The reason is not valid text.", status=400)
    if integration.status != IntegrationStatus.PAUSED:
        lifecycle.pause(integration, request.user, form.cleaned_data["reason"])
        messages.success(request, f"{integration.name} is paused. New events wait as queued runs.")
    return redirect(done)


@require_POST
@workspace_view("operate")
def resume(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    done = next_or(request, "/")
    if integration.status == IntegrationStatus.PAUSED:
        sent = lifecycle.resume(integration, request.user)
        messages.success(
            request,
            f"{integration.name} resumed: {sent} waiting run{'s' if sent != 1 else ''} sent.",
        )
    return redirect(done)


@require_http_methods(["GET", "POST"])
@workspace_view("operate")
def run_now(request: HttpRequest, code: UUID) -> HttpResponse:
    """GET: what running the flow now would do (records, writes per operation); POST with
    `confirm`: do it. A deleting flow is refused either way."""
    flow = get_object_or_404(
        Flow.objects.select_related("integration", "source"),
        code=code,
        integration__workspace=request.workspace,  # type: ignore[attr-defined]
    )
    back = next_or(request, "/")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            queued = lifecycle.run_now(flow, request.user)
        except bulk.BulkRefused as exc:
            messages.error(request, str(exc))
        except ConnectorError as exc:
            messages.error(request, f"{flow.name} could not start: {exc}")
        else:
            messages.success(request, _started(flow.name, queued))
        return redirect(back)
    if request.method == "POST":
        messages.error(request, "Nothing was run: confirm on this page first.")
    return _run_now_page(request, flow, back)


def _started(name: str, queued: int) -> str:
    if queued:
        return f"{name}: {queued} run{'s' if queued != 1 else ''} queued."
    # A backfill or a full sync lists its records page by page in a worker.
    return (
        f"{name}: started. Its records are listed in the background and their runs appear "
        "under Runs as they are queued."
    )


def _run_now_page(request: HttpRequest, flow: Flow, back: str) -> HttpResponse:
    return render(
        request,
        "dashboard/run_now.html",
        {
            "title": f"Run now: {flow.name}",
            "flow": flow,
            "preview": bulk.preview(flow),
            "back": back,
        },
        status=400 if request.method == "POST" else 200,
    )
