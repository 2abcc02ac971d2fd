"""The conflict queue: fields changed in both apps that wait for a person ("ask me"), with
both values, when and by which run each changed; resolve one (pick a side or type a
value) or many at once on a filter. The choice is written to both apps by a normal run.
Also each integration's conflict policy (per field, with direction)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.access import workspace_view
from integrations.models import (
    AuditEntry,
    Conflict,
    ConflictStatus,
    Direction,
    Integration,
    Policy,
    SyncPolicy,
)
from integrations.sync import conflicts as actions

PAGE_SIZE = 100
SIDE_CHOICES = [("ghl", "HighLevel's value"), ("other", "The other app's value")]


class FilterForm(forms.Form):
    integration = forms.UUIDField(required=False)
    field = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(
        required=False, choices=[("", "Waiting"), *list(ConflictStatus.choices)]
    )

    def apply(self, workspace: Any) -> QuerySet[Conflict]:
        found = Conflict.objects.filter(workspace=workspace)
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("integration"):
            found = found.filter(integration__code=data["integration"])
        if data.get("field"):
            found = found.filter(field=data["field"])
        return found.filter(status=data.get("status") or ConflictStatus.OPEN)


class ResolveForm(forms.Form):
    side = forms.ChoiceField(
        choices=[
            *SIDE_CHOICES,
            ("left", "The left app's value"),
            ("right", "The right app's value"),
            ("value", "This value"),
        ]
    )
    value = forms.CharField(required=False, max_length=500, strip=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("side") == "value" and not data.get("value"):
            self.add_error("value", "Type the value to write to both apps.")
        return data


class BulkForm(forms.Form):
    integration = forms.UUIDField()
    field = forms.CharField(max_length=100)
    side = forms.ChoiceField(choices=SIDE_CHOICES)


def _labels(conflict: Conflict) -> None:
    """Which side is HighLevel: shown first, named by its app."""
    link = conflict.link
    ghl_left = link.left.kind == "ghl" or link.right.kind != "ghl"
    first, second = ("left", "right") if ghl_left else ("right", "left")
    conflict.sides = [  # type: ignore[attr-defined]
        {
            "key": side,
            "app": getattr(link, side),
            "field": getattr(conflict, f"{side}_field"),
            "value": getattr(conflict, f"{side}_value"),
            "changed_at": getattr(conflict, f"{side}_changed_at"),
            "run": getattr(conflict, f"{side}_run"),
        }
        for side in (first, second)
    ]


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = FilterForm(request.GET or None)
    found = form.apply(workspace)
    rows = list(
        found.select_related(
            "link__left", "link__right", "integration", "left_run", "right_run", "resolution_run"
        ).order_by("-created", "-pk")[:PAGE_SIZE]
    )
    for conflict in rows:
        _labels(conflict)
    groups = list(
        Conflict.objects.filter(
            workspace=workspace, status=ConflictStatus.OPEN, resolution_run__isnull=True
        )
        .order_by()
        .values("integration__code", "integration__name", "field")
        .annotate(count=Count("id"))
        .order_by("integration__name", "field")[:100]
    )
    return render(
        request,
        "dashboard/conflicts.html",
        {
            "title": "Conflicts",
            "form": form,
            "rows": rows,
            "total": found.count(),
            "groups": groups,
            "page_size": PAGE_SIZE,
            "integrations": Integration.objects.filter(workspace=workspace).order_by("name"),
        },
    )


@require_POST
@workspace_view("operate")
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(
        Conflict,
        pk=pk,
        workspace=request.workspace,  # type: ignore[attr-defined]
    )
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("dashboard:conflicts")
    if conflict.status != ConflictStatus.OPEN or conflict.resolution_run_id:
        messages.info(request, "This conflict is being resolved or is settled already.")
        return redirect("dashboard:conflicts")
    runs = actions.choose(
        Conflict.objects.filter(pk=conflict.pk),
        side=form.cleaned_data["side"],
        value=form.cleaned_data.get("value"),
        user=request.user,
    )
    if runs:
        messages.success(request, f"{conflict.field}: your choice is being written to both apps.")
    else:
        messages.error(request, "No flow of this integration can write this record.")
    return redirect("dashboard:conflicts")


@require_POST
@workspace_view("operate")
def bulk(request: HttpRequest) -> HttpResponse:
    """One side wins for every waiting conflict of one field of one integration."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an integration, a field and a side.")
        return redirect("dashboard:conflicts")
    integration = get_object_or_404(
        Integration,
        code=form.cleaned_data["integration"],
        workspace=request.workspace,  # type: ignore[attr-defined]
    )
    found = Conflict.objects.filter(
        integration=integration, field=form.cleaned_data["field"], status=ConflictStatus.OPEN
    )
    runs = actions.choose(found, side=form.cleaned_data["side"], user=request.user)
    side = dict(SIDE_CHOICES)[form.cleaned_data["side"]]
    messages.success(
        request,
        f"{form.cleaned_data['field']}: {side} for {len(runs)} record"
        f"{'s' if len(runs) != 1 else ''} of {integration}; being written to both apps.",
    )
    return redirect("dashboard:conflicts")


# --- policy -------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    default = forms.ChoiceField(choices=Policy.choices)
    fields = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One field a line, as HighLevel names it: field = policy [, direction]. "
        "Policies: ghl, other, newest, ask. Directions: both, from_ghl, to_ghl.",
    )

    def clean_fields(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for n, line in enumerate((self.cleaned_data.get("fields") or "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            name, sep, rest = line.partition("=")
            parts = [p.strip() for p in rest.split(",")]
            name = name.strip()
            if not sep or not name or len(name) > 100 or not parts[0]:
                raise forms.ValidationError(f"Line {n}: write it as field = policy [, direction].")
            if parts[0] not in Policy.values:
                raise forms.ValidationError(f"Line {n}: unknown policy {parts[0]!r}.")
            entry = {"policy": parts[0]}
            if len(parts) > 1 and parts[1]:
                if parts[1] not in Direction.values:
                    raise forms.ValidationError(f"Line {n}: unknown direction {parts[1]!r}.")
                entry["direction"] = parts[1]
            out[name] = entry
        return out


def _as_text(fields: dict[str, Any]) -> str:
    lines = []
    for name, entry in sorted((fields or {}).items()):
        line = f"{name} = {entry.get('policy', '')}"
        if entry.get("direction"):
            line += f", {entry['direction']}"
        lines.append(line)
    return "\n".join(lines)


@require_http_methods(["GET", "POST"])
@workspace_view("manage")
def policy(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_object_or_404(
        Integration,
        code=code,
        workspace=request.workspace,  # type: ignore[attr-defined]
    )
    current = SyncPolicy.objects.filter(integration=integration).first() or SyncPolicy(
        integration=integration
    )
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            current.default = form.cleaned_data["default"]
            current.fields = form.cleaned_data["fields"]
            current.save()
            AuditEntry.record(
                integration.workspace,
                request.user,
                "integration.sync_policy",
                integration.name,
                default=current.default,
                fields=current.fields,
            )
            messages.success(request, "Conflict policy saved.")
            return redirect("dashboard:sync_policy", code=integration.code)
    else:
        form = PolicyForm(initial={"default": current.default, "fields": _as_text(current.fields)})
    return render(
        request,
        "dashboard/sync_policy.html",
        {"title": f"Conflict policy of {integration}", "integration": integration, "form": form},
    )
