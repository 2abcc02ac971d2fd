"""Failures: failed runs nobody has dealt with yet, grouped by cause, with "Retry all"."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.access import workspace_view
from dashboard.views.runs import PAGE_SIZE, RunFilterForm, workspace_runs
from integrations import retrying, tasks
from integrations import runs as run_actions
from integrations.models import Flow, RetryBatch, Run, RunStatus


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
    batch = retrying.recent(request.workspace)  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/failures.html",
        {
            "title": "Failures",
            "groups": groups,
            "runs": list(failures.order_by("-created", "-pk")[:PAGE_SIZE]),
            "total": failures.count(),
            "page_size": PAGE_SIZE,
            "progress": retrying.progress(batch)
            if (batch := retrying.recent(request.workspace))
            else None,  # type: ignore[attr-defined]
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
        batch = retrying.start(runs, request.user, request.workspace)  # type: ignore[attr-defined]
        if batch.total:
            tasks.queue_retry_batch.delay(batch.pk)
        count = batch.total
        text = f"{count} run{'s' if count != 1 else ''} queued for retry."
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "dashboard/retry_all.html#retry-all-done", {"text": text})
        messages.success(request, text)
        return redirect("dashboard:failures")
    sized = retrying.estimate(runs)
    return render(
        request,
        "dashboard/retry_all.html",
        {
            "title": "Retry all",
            "form": form,
            "count": sized.runs,
            "estimate": sized,
            "duration": retrying.duration_text(sized.seconds),
            "query": form.query(),
        },
    )


def _batch(request: HttpRequest, code: UUID) -> RetryBatch:
    return get_object_or_404(RetryBatch, code=code, workspace=request.workspace)  # type: ignore[attr-defined]


@require_GET
@workspace_view("view")
def retry_progress(request: HttpRequest, code: UUID) -> HttpResponse:
    """The progress card of a Retry all (the Failures page polls it while it moves)."""
    shown = retrying.progress(_batch(request, code))
    response = render(request, "dashboard/failures.html#retry-progress", {"progress": shown})
    if not shown.active:
        response.status_code = 286  # htmx: stop polling
    return response


@require_POST
@workspace_view("operate")
def retry_cancel(request: HttpRequest, code: UUID) -> HttpResponse:
    batch = _batch(request, code)
    cancelled = retrying.cancel(batch, request.user)
    messages.success(
        request,
        f"Retry all cancelled: {cancelled} waiting run{'s' if cancelled != 1 else ''} cancelled; "
        "runs already running finish.",
    )
    return redirect("dashboard:failures")
