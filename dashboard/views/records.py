"""Each record's page: its links across apps and a timeline of every run that read or wrote
it (trigger, fields changed before → after, which app, who retried or resolved), found by
search (either app's id, email, name), from a run, from a conflict or from sync health."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from dashboard.access import workspace_view
from integrations.models import AuditEntry, Integration, RecordLink, Run
from integrations.sync import synchealth

PAGE_SIZE = 50
TIMELINE = 200
STATES = [
    ("", "Any"),
    ("in_sync", "In sync"),
    ("in_conflict", "In conflict"),
    ("failing", "Failing"),
    ("excluded", "Excluded by a flow"),
]


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True)
    integration = forms.UUIDField(required=False)
    state = forms.ChoiceField(required=False, choices=STATES)


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    links = RecordLink.objects.filter(workspace=workspace)
    integration = None
    excluded: list[Run] = []
    if data.get("integration"):
        integration = get_object_or_404(Integration, code=data["integration"], workspace=workspace)
        state = data.get("state") or ""
        if state == "excluded":
            excluded = list(
                synchealth.excluded_runs(integration)
                .select_related("flow")
                .order_by("-created")[:PAGE_SIZE]
            )
            links = links.none()
        elif state:
            links = synchealth.states(integration)[state]
        else:
            links = synchealth.links_of(integration)
    q = data.get("q") or ""
    if q:
        links = links.filter(Q(left_record=q) | Q(right_record=q) | Q(label__icontains=q))
    searched = bool(q or integration)
    rows = (
        list(
            links.select_related("left", "right", "last_run").order_by("-last_synced_at", "-pk")[
                :PAGE_SIZE
            ]
        )
        if searched
        else []
    )
    return render(
        request,
        "dashboard/records.html",
        {
            "title": "Records",
            "form": form,
            "rows": rows,
            "excluded": excluded,
            "searched": searched,
            "integration": integration,
            "state_label": dict(STATES).get(data.get("state") or ""),
            "integrations": Integration.objects.filter(workspace=workspace).order_by("name"),
        },
    )


def timeline(link: RecordLink) -> list[dict[str, Any]]:
    """Newest first: each run that read or wrote the record, with the entries it left."""
    ids = [link.left_record, link.right_record]
    entries = list(
        link.ledger_entries.select_related("run__flow", "app", "actor").order_by("-created", "-pk")[
            :TIMELINE
        ]
    )
    by_run: dict[int, list[Any]] = {}
    for entry in entries:
        if entry.run_id:
            by_run.setdefault(entry.run_id, []).append(entry)
    runs = {
        run.pk: run
        for run in Run.objects.filter(workspace_id=link.workspace_id)
        .filter(
            Q(record_id__in=ids, flow__object_type=link.object_type)
            | Q(pk__in=list(by_run))
            | Q(resolutions__link=link)
        )
        .select_related("flow", "retry_of")
        .distinct()
        .order_by("-created", "-pk")[:TIMELINE]
    }
    # Who retried: a single retry is audited under the retried run's code.
    retried = {str(run.retry_of.code): run for run in runs.values() if run.retry_of_id}
    retried_by = {
        entry.target: entry.actor
        for entry in AuditEntry.objects.filter(
            workspace_id=link.workspace_id, action="run.retried", target__in=list(retried)
        ).select_related("actor")
    }
    items = [
        {
            "when": run.created,
            "run": run,
            "entries": by_run.get(run.pk, []),
            "retried_by": retried_by.get(str(run.retry_of.code)) if run.retry_of_id else None,
        }
        for run in runs.values()
    ]
    items += [
        {"when": e.created, "run": None, "entries": [e]}
        for e in entries
        if not e.run_id or e.run_id not in runs
    ]
    items.sort(key=lambda item: item["when"], reverse=True)
    return items[:TIMELINE]


@require_GET
@workspace_view("view")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(
        RecordLink.objects.select_related("left", "right", "last_run"),
        pk=pk,
        workspace=request.workspace,  # type: ignore[attr-defined]
    )
    ids = [link.left_record, link.right_record]
    related = (
        RecordLink.objects.filter(workspace=link.workspace_id)
        .filter(Q(left_record__in=ids) | Q(right_record__in=ids))
        .select_related("left", "right")
        .order_by("object_type", "pk")[:50]
    )
    return render(
        request,
        "dashboard/record.html",
        {
            "title": f"Record {link.label or link.left_record}",
            "link": link,
            "related": related,
            "fields": sorted(((link.synced_values or {}).get("fields") or {}).items()),
            "conflicts": link.conflicts.select_related(
                "left_run", "right_run", "resolution_run", "resolved_by"
            ).order_by("-created")[:50],
            "timeline": timeline(link),
        },
    )
