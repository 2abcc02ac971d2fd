"""Run history, one run's detail, and the operator's actions on a run (retry, dismiss).

The list pages keyset-paginate on (-created, -id): a page is "the 50 runs older than the
last one shown", so it stays fast and stable however many runs arrive meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from dashboard.access import workspace_view
from dashboard.forms import safe_next
from dashboard.templatetags.syncdeck import pretty_json as pretty
from integrations import runs as run_actions
from integrations.connectors.base import ErrorKind
from integrations.models import Flow, RecordLink, Run, RunStatus, WebhookEvent

PAGE_SIZE = 50

RANGES: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
RANGE_CHOICES = [
    ("all", "All time"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
]

# Said when the engine left no hint of its own.
KIND_HINTS = {
    ErrorKind.TRANSIENT: "The app did not answer in time or had an outage. Retry the run.",
    ErrorKind.RATE_LIMITED: "The app's rate limit was reached. Retry the run in a few minutes.",
    ErrorKind.AUTH: "The app refused the credentials. Reconnect it on the Connections page, "
    "then retry.",
    ErrorKind.PERMANENT: "The app refused the request. Fix the cause (mapping, record, "
    "permissions), then retry.",
    ErrorKind.VALIDATION: "The record did not pass the flow's mapping. Fix the record or the "
    "mapping, then retry.",
}


# --- access -----------------------------------------------------------------------------


def workspace_runs(request: HttpRequest) -> QuerySet[Run]:
    """The request's workspace's runs, with what every row shows."""
    return (
        Run.objects.filter(workspace=request.workspace)  # type: ignore[attr-defined]
        .select_related("flow__integration")
        .annotate(retried=Exists(Run.objects.filter(retry_of=OuterRef("pk"))))
    )


def get_run(request: HttpRequest, code: Any) -> Run:
    return get_object_or_404(workspace_runs(request), code=code)


def get_event(request: HttpRequest, code: Any) -> WebhookEvent:
    return get_object_or_404(WebhookEvent, code=code, workspace=request.workspace)  # type: ignore[attr-defined]


# --- filters and pages ------------------------------------------------------------------


class RunFilterForm(forms.Form):
    """The run list's filters; invalid values are ignored, never an error page."""

    integration = forms.ChoiceField(required=False)
    flow = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *RunStatus.choices])
    range = forms.ChoiceField(required=False, choices=RANGE_CHOICES, label="Time")
    q = forms.CharField(required=False, max_length=200)
    # Set by the Failures page's "see runs" links.
    error_kind = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
    error = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def __init__(self, workspace: Any, data: Any) -> None:
        super().__init__(data)
        self.flows = list(
            Flow.objects.filter(integration__workspace=workspace).select_related("integration")
        )
        integrations = {f.integration.code: f.integration.name for f in self.flows}
        integrations.update(workspace.integrations.values_list("code", "name"))
        self.fields["integration"].choices = [("", "All integrations")] + [
            (str(code), name) for code, name in sorted(integrations.items(), key=lambda i: i[1])
        ]
        self.fields["flow"].choices = [("", "All flows")] + [
            (str(f.code), f"{f.integration.name} · {f.name}") for f in self.flows
        ]
        self.is_valid()

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name) or ""

    def apply(self, runs: QuerySet[Run]) -> QuerySet[Run]:
        if self.value("integration"):
            runs = runs.filter(flow__integration__code=self.value("integration"))
        if self.value("flow"):
            runs = runs.filter(flow__code=self.value("flow"))
        if self.value("status"):
            runs = runs.filter(status=self.value("status"))
        span = RANGES.get(self.value("range") or "all")
        if span is not None:
            runs = runs.filter(created__gte=timezone.now() - span)
        if self.value("q"):
            q = self.value("q").strip()
            runs = runs.filter(Q(record_id__icontains=q) | Q(record_label__icontains=q))
        if self.value("error_kind"):
            runs = runs.filter(error_kind=self.value("error_kind"))
        if self.value("error"):
            runs = runs.filter(error=self.value("error"))
        return runs

    def query(self) -> str:
        """The valid, non-empty filters as a query string (for links and forms)."""
        query = QueryDict(mutable=True)
        query.update({name: value for name, value in self.cleaned_data.items() if value})
        return query.urlencode()

    def summary(self) -> list[tuple[str, str]]:
        """What the filter selects, in words."""
        out = []
        for name in ("integration", "flow", "status", "range"):
            value = self.value(name)
            if value and not (name == "range" and value == "all"):
                label = dict(self.fields[name].choices).get(value, value)  # type: ignore[attr-defined]
                out.append((self.fields[name].label or name.capitalize(), str(label)))
        for name, label in (("q", "Record"), ("error_kind", "Error kind"), ("error", "Error")):
            if self.value(name):
                out.append((label, self.value(name)))
        return out


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    created, sep, pk = value.rpartition("|")
    if not sep:
        return None
    try:
        when, number = datetime.fromisoformat(created), int(pk)
    except ValueError:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    return when, number


def keyset_page(items: QuerySet[Any], before: str, field: str = "created") -> tuple[list[Any], str]:
    """One page, newest first, older than the `before` cursor; and the next page's cursor."""
    items = items.order_by(f"-{field}", "-pk")
    cursor = parse_cursor(before)
    if cursor:
        when, pk = cursor
        items = items.filter(Q(**{f"{field}__lt": when}) | Q(**{field: when, "pk__lt": pk}))
    page = list(items[: PAGE_SIZE + 1])
    if len(page) <= PAGE_SIZE:
        return page, ""
    page = page[:PAGE_SIZE]
    last = page[-1]
    return page, f"{getattr(last, field).isoformat()}|{last.pk}"


def page_url(request: HttpRequest, before: str) -> str:
    query = request.GET.copy()
    query["before"] = before
    return f"{request.path}?{query.urlencode()}"


def next_or(request: HttpRequest, default: str) -> str:
    """The posted `next` if it is a path of this site, else `default`. Actions call it before
    acting, so a bad value never turns a done action into an error page."""
    return safe_next(request, default)


def polled(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a page or (to htmx) a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- pages ------------------------------------------------------------------------------


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    form = RunFilterForm(request.workspace, request.GET)  # type: ignore[attr-defined]
    runs, cursor = keyset_page(form.apply(workspace_runs(request)), request.GET.get("before", ""))
    has_any = bool(runs) or Run.objects.filter(workspace=request.workspace).exists()  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/runs.html",
        {
            "title": "Runs",
            "form": form,
            "runs": runs,
            "older_url": page_url(request, cursor) if cursor else "",
            "paged": bool(request.GET.get("before")),
            "has_any": has_any,
        },
    )


@require_GET
@workspace_view("view")
def row(request: HttpRequest, code: UUID) -> HttpResponse:
    # Polled every 2 s while the run is active; a finished row carries no hx attributes.
    run = get_run(request, code)
    return polled(render(request, "partials/_run_row.html", {"run": run}))


def retry_chain(run: Run) -> list[Run]:
    """The original run and every retry made from it, oldest first."""
    runs = Run.objects.filter(workspace_id=run.workspace_id).select_related("flow")
    origin, seen = run, {run.pk}
    while origin.retry_of_id and origin.retry_of_id not in seen and len(seen) < 100:
        seen.add(origin.retry_of_id)
        origin = runs.get(pk=origin.retry_of_id)
    chain, frontier = [origin], [origin.pk]
    while frontier and len(chain) < 100:
        children = list(runs.filter(retry_of__in=frontier).order_by("created", "pk"))
        chain += children
        frontier = [c.pk for c in children]
    return chain


@require_GET
@workspace_view("view")
def detail(request: HttpRequest, code: UUID) -> HttpResponse:
    run = get_run(request, code)
    links = Q(last_run=run)
    if run.record_id:
        links |= Q(left_record=run.record_id) | Q(right_record=run.record_id)
    steps = list(run.steps.all())
    for step in steps:
        step.headers_pretty = pretty(step.request_headers)  # type: ignore[attr-defined]
        step.body_pretty = pretty(step.request_body) if step.request_body else ""  # type: ignore[attr-defined]
        step.response_pretty = pretty(step.response_body) if step.response_body else ""  # type: ignore[attr-defined]
    context = {
        "title": f"Run of {run.flow.name}",
        "run": run,
        "payload": pretty(run.payload),
        "steps": steps,
        "log": run.events.all(),
        "hint": run.error_hint or KIND_HINTS.get(run.error_kind, ""),  # type: ignore[call-overload]
        "links": RecordLink.objects.filter(links, workspace=run.workspace_id).select_related(
            "left", "right", "last_run"
        ),
        "chain": retry_chain(run),
    }
    template = "dashboard/run_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#run-body"
    return polled(render(request, template, context))


# --- actions ----------------------------------------------------------------------------


@require_POST
@workspace_view("operate")
def retry(request: HttpRequest, code: UUID) -> HttpResponse:
    run = get_run(request, code)
    if run.status != RunStatus.FAILED or run.retried:  # type: ignore[attr-defined]
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "partials/_run_row.html", {"run": run})
        messages.error(request, "Only a failed run that was not retried yet can be retried.")
        return redirect("dashboard:run", code=run.code)
    new = run_actions.retry(run, request.user)
    if request.htmx:  # type: ignore[attr-defined]
        # The failed row (now marked retried) and, under it, the new run's live row.
        return render(
            request,
            "partials/_run_retried.html",
            {"run": get_run(request, code), "new": get_run(request, new.code) if new else None},
        )
    if new is None:
        messages.error(request, "The retry could not be queued.")
        return redirect("dashboard:run", code=run.code)
    messages.success(request, "Retry queued.")
    return redirect("dashboard:run", code=new.code)


@require_POST
@workspace_view("operate")
def dismiss(request: HttpRequest, code: UUID) -> HttpResponse:
    run = get_run(request, code)
    done = next_or(request, f"/runs/{run.code}/")
    if run.status == RunStatus.FAILED and not run.dismissed:
        run_actions.dismiss(run, request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "partials/_run_row.html", {"run": get_run(request, code)})
    messages.success(request, "Failure dismissed.")
    return redirect(done)
