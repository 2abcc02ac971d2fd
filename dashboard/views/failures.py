"""Failures: failed runs nobody has dealt with yet, grouped by cause, with "Retry all"."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dashboard.access import workspace_view
from dashboard.views.runs import PAGE_SIZE, RunFilterForm, workspace_runs
from integrations import runs as run_actions
from integrations.models import Flow, Run, RunStatus


@require_http_methods(["GET"])
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    # A failure that was retried is followed under its retry; a dismissed one is done with.
    failures = run_actions.retryable(workspace_runs(request))
    groups = list(
        run_actions.retryable(Run.objects.filter(workspace=request.workspace))  # type: ignore[attr-defined]
        .order_by()
        .values("flow", "error_kind", "error")
        .annotate(count=Count("id"), newest=Max("created"))
        .order_by("-newest")[:100]
    )
    flows = Flow.objects.select_related("integration").in_bulk({g["flow"] for g in groups})
    for group in groups:
        group["flow"] = flows[group["flow"]]
        query = RunFilterForm(
            request.workspace,  # type: ignore[attr-defined]
            {
                "flow": str(group["flow"].code),
                "status": RunStatus.FAILED,
                "error_kind": group["error_kind"],
                "error": group["error"],
            },
        ).query()
        group["query"] = query
    return render(
        request,
        "dashboard/failures.html",
        {
            "title": "Failures",
            "groups": groups,
            "runs": list(failures.order_by("-created", "-pk")[:PAGE_SIZE]),
            "total": failures.count(),
            "page_size": PAGE_SIZE,
        },
    )


@require_http_methods(["GET", "POST"])
@workspace_view("operate")
def retry_all(request: HttpRequest) -> HttpResponse:
    """GET: how many runs the filter would retry; POST: retry them."""
    data = request.POST if request.method == "POST" else request.GET
    form = RunFilterForm(request.workspace, data)  # type: ignore[attr-defined]
    runs = form.apply(workspace_runs(request))
    if request.method == "POST":
        count = run_actions.retry_all(runs, request.user, request.workspace)  # type: ignore[attr-defined]
        text = f"{count} run{'s' if count != 1 else ''} queued for retry."
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "dashboard/retry_all.html#retry-all-done", {"text": text})
        messages.success(request, text)
        return redirect("dashboard:failures")
    return render(
        request,
        "dashboard/retry_all.html",
        {
            "title": "Retry all",
            "form": form,
            "count": run_actions.retryable(runs).count(),
            "query": form.query(),
        },
    )
