"""The setup wizard's later steps: map fields (live preview), test, publish (backfill)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from dashboard.access import workspace_view
from dashboard.views.wizard import get_integration, step_url, wizard_context
from dashboard.views.wizard_forms import (
    MapForm,
    MapQueryForm,
    PublishForm,
    PublishQueryForm,
    TestStepForm,
    form_errors,
)
from integrations import lifecycle
from integrations.bulk import BulkRefused
from integrations.bulk import preview as bulk_preview
from integrations.models import Backfill, Run, RunStatus
from integrations.wizard import drafts, dryrun, fields, params, publish, samples
from integrations.wizard.drafts import WizardError

FINISHED = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED, RunStatus.CANCELLED}


def _live_flows(draft: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in draft.get("flows", []) if f.get("enabled", True)]


def _flow(draft: dict[str, Any], key: str) -> dict[str, Any]:
    live = _live_flows(draft)
    return next((f for f in live if f["key"] == key), live[0] if live else {})


def _sample(
    integration: Any, draft: dict[str, Any], flow: dict[str, Any], source: Any, fresh: bool = False
) -> dict[str, Any]:
    stored = (draft.get("samples") or {}).get(flow["key"])
    if stored is None or fresh:
        found = samples.fetch(source, flow.get("object_type") or "contact")
        stored = {"record": found.record, "note": found.note}
        draft.setdefault("samples", {})[flow["key"]] = stored
        drafts.save_draft(integration, draft)
    return stored


TAGS_FIELD = fields.TargetField("tags", False, "added and removed on the linked contact")


def _step_index(flow: dict[str, Any], wanted: int | None) -> int | None:
    """The step asked for, when the flow has it (None otherwise); no ask is step 0."""
    if wanted is None:
        return 0
    return wanted if 0 <= wanted < len(flow.get("steps") or []) else None


def _map_context(
    integration: Any,
    draft: dict[str, Any],
    flow: dict[str, Any],
    rows: list[fields.Row] | None,
    step_index: int = 0,
    posted: Any = None,
) -> dict[str, Any]:
    s = drafts.sides(integration, draft)
    source, target = s.of(flow)
    steps = flow.get("steps") or []
    step = steps[step_index] if steps else {"mapping": [], "operation": ""}
    op = drafts.find_operation(target, step.get("operation", ""))
    update_op = drafts.find_operation(target, step.get("update_operation") or "")
    object_type = flow.get("object_type") or "contact"
    tags_step = step.get("record_mode") == "tags"
    targets = [TAGS_FIELD] if tags_step else fields.target_fields(target, op, object_type)
    sample = _sample(integration, draft, flow, source)
    custom_names = source.connector.custom_field_names(object_type)
    sources = fields.source_fields(sample["record"], custom_names)
    if rows is None:
        rows = [fields.Row.from_rule(r) for r in step.get("mapping") or []]
    rules = fields.rules_of(rows)
    object_types = params.object_type_names(source)
    lookup = params.LinkLookup(source, target)
    result = fields.check(
        rules,
        sample["record"],
        targets,
        object_types=object_types,
        lookup=lookup,
        allowed={"tags"} if tags_step else None,
    )
    required = {t.name for t in targets if t.required}
    for row in rows:
        row.required = row.required or row.target in required
    # The engine fills target_id_param with the linked record's id in record modes only.
    id_param = step.get("target_id_param") or "" if step.get("record_mode") else ""
    param_rows = params.param_rows([op, update_op], step.get("params"), id_param)
    if posted is not None:
        param_rows = params.rows_from_post(posted, param_rows)
    param_problems, param_row_problems = params.check_params(
        param_rows, object_types, step.get("operation", "")
    )
    live = _live_flows(draft)
    index = next((n for n, f in enumerate(live) if f["key"] == flow["key"]), 0)
    return wizard_context(
        integration,
        "map",
        draft=draft,
        flow=flow,
        step_spec=step,
        step_index=step_index,
        flow_steps=steps,
        operation=op,
        source=source,
        target=target,
        rows=rows,
        targets=targets,
        sources=sources,
        custom_fields=[f for f in sources if f.label.startswith("custom field")],
        custom_names_known=bool(custom_names),
        sample=sample,
        check=result,
        suggestions={} if tags_step else fields.suggestions(rows, targets, sources),
        transform_choices=fields.TRANSFORM_CHOICES,
        transform_values=[v for v, _ in fields.TRANSFORM_CHOICES],
        object_types=object_types,
        param_rows=param_rows,
        param_problems=param_problems,
        param_row_problems=param_row_problems,
        param_preview=params.preview_params(param_rows, sample["record"], lookup),
        when=(step.get("params") or {}).get("_when"),
        flows=live,
        next_flow=live[index + 1] if index + 1 < len(live) else None,
    )


@workspace_view("manage")
def map_fields(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    query = MapQueryForm(request.GET)
    wanted = query.cleaned_data if query.is_valid() else {}
    key = wanted.get("flow") or request.POST.get("flow") or ""
    flow = _flow(draft, key)
    if not flow or drafts.sides(integration, draft).a is None:
        messages.error(request, "Choose the apps and at least one flow first.")
        return redirect(step_url(integration, "flows"))
    if request.method != "POST":
        if request.GET.get("resample"):
            source, _ = drafts.sides(integration, draft).of(flow)
            _sample(integration, draft, flow, source, fresh=True)
        step_index = _step_index(flow, wanted.get("step")) or 0
        context = _map_context(integration, draft, flow, None, step_index)
        return render(request, "dashboard/wizard/map.html", context)
    form = MapForm(request.POST)
    rows = fields.rows_from_post(request.POST)
    valid = form.is_valid()
    step_index = _step_index(flow, form.cleaned_data.get("step") if valid else None)
    if not valid or step_index is None:
        context = _map_context(integration, draft, flow, rows, step_index or 0, request.POST)
        errors = form_errors(form) if not valid else []
        context["save_errors"] = errors or ["Step: this flow has no such step."]
        return render(request, "dashboard/wizard/map.html", context, status=400)
    action = form.cleaned_data["action"] or "save"
    if action == "add":
        rows.append(fields.Row())
    elif action == "suggest":
        context = _map_context(integration, draft, flow, rows, step_index, request.POST)
        rows += [fields.Row(target=t, source=p) for t, p in context["suggestions"].items()]
    if action in ("add", "suggest"):
        context = _map_context(integration, draft, flow, rows, step_index, request.POST)
        return render(request, "dashboard/wizard/map.html", context)
    context = _map_context(integration, draft, flow, rows, step_index, request.POST)
    rules = fields.rules_of(rows)
    hard = [p for p in context["check"].problems if not p.startswith("with the sample")]
    hard += context["param_problems"]
    if hard:
        context["save_errors"] = hard
        return render(request, "dashboard/wizard/map.html", context, status=400)
    if flow.get("steps"):
        step = flow["steps"][step_index]
        step["mapping"] = rules
        step["params"] = params.to_params(context["param_rows"], step.get("params"))
    drafts.save_draft(integration, draft, "map")
    nxt = context["next_flow"]
    if nxt:
        return redirect(step_url(integration, "map", flow=nxt["key"]))
    drafts.save_draft(integration, draft, "test")
    return redirect(step_url(integration, "test"))


@require_POST
@workspace_view("manage")
def preview(request: HttpRequest, code: UUID) -> HttpResponse:
    """The live preview: the rows as typed, applied to the sample record (htmx)."""
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    flow = _flow(draft, request.POST.get("flow", ""))
    form = MapForm(request.POST)
    if not form.is_valid():
        return HttpResponse(" ".join(form_errors(form)), status=400)
    step_index = _step_index(flow, form.cleaned_data.get("step"))
    if not flow or step_index is None:
        return HttpResponse("Step: this flow has no such step.", status=400)
    rows = fields.rows_from_post(request.POST)
    context = _map_context(integration, draft, flow, rows, step_index, request.POST)
    return render(request, "dashboard/wizard/map.html#preview", context)


@require_GET
@workspace_view("manage")
def test(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    s = drafts.sides(integration, draft)
    live = _live_flows(draft)
    if not live or s.a is None:
        messages.error(request, "Choose the apps and at least one flow first.")
        return redirect(step_url(integration, "flows"))
    query = TestStepForm(request.GET)
    wanted = query.cleaned_data if query.is_valid() else {}
    flow = _flow(draft, wanted.get("flow") or "")
    run = None
    if wanted.get("run"):
        run = Run.objects.filter(workspace=integration.workspace, code=wanted["run"]).first()
    sample = _sample(integration, draft, flow, s.of(flow)[0])
    return render(
        request,
        "dashboard/wizard/test.html",
        wizard_context(
            integration, "test", draft=draft, flow=flow, flows=live, sample=sample, run=run
        ),
    )


@require_POST
@workspace_view("manage")
def dry_run(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    flow = _flow(draft, request.POST.get("flow", ""))
    source, target = drafts.sides(integration, draft).of(flow)
    sample = _sample(integration, draft, flow, source)
    results = (
        dryrun.dry_run(flow, source, target, sample["record"] or {}) if sample["record"] else []
    )
    context = wizard_context(
        integration, "test", draft=draft, flow=flow, sample=sample, results=results, dry=True
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "dashboard/wizard/test.html#dry-run", context)
    return render(request, "dashboard/wizard/test.html", context)


@require_POST
@workspace_view("manage")
def test_sync(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    flow = _flow(draft, request.POST.get("flow", ""))
    source, _ = drafts.sides(integration, draft).of(flow)
    sample = _sample(integration, draft, flow, source)
    try:
        run = publish.test_sync(integration, draft, flow["key"], sample["record"])
    except WizardError as exc:
        messages.error(request, str(exc))
        return redirect(step_url(integration, "test", flow=flow["key"]))
    return redirect(step_url(integration, "test", flow=flow["key"], run=str(run.code)))


@require_GET
@workspace_view("manage")
def test_run(request: HttpRequest, code: UUID, run: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    found = get_object_or_404(Run, code=run, workspace=integration.workspace)
    response = render(
        request, "dashboard/wizard/test.html#test-run", {"run": found, "integration": integration}
    )
    if found.status in FINISHED:
        return HttpResponseStopPolling(response.content)
    return response


@workspace_view("manage")
def publish_step(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    s = drafts.sides(integration, draft)
    errors: list[str] = []
    confirming = request.POST.get("confirm") == "yes" and (integration.draft or {}).get("published")
    if request.method == "POST" and confirming:  # a confirmed backfill: no re-publish
        return _start_backfill(request, integration)
    form = PublishForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not form.is_valid():
        errors += form_errors(form)
    elif request.method == "POST":
        try:
            changed = publish.publish(integration, draft, request.user, form.cleaned_data["note"])
        except WizardError as exc:
            errors.append(str(exc))
        else:
            integration.refresh_from_db()
            text = f"Published {integration.name}" + (
                f" as version {integration.version}." if changed else " (no changes)."
            )
            messages.success(request, text)
            wanted = form.cleaned_data["backfill"]
            candidates = publish.backfill_flows(integration)
            flow = next((f for f in candidates if str(f.pk) == wanted), None)
            if wanted == "first" and candidates:
                flow = candidates[0]
            if flow is not None:  # a bulk write: show what it will do and ask first
                return redirect(step_url(integration, "publish", preview=str(flow.pk)))
            return redirect(step_url(integration, "publish"))
    backfill = None
    query = PublishQueryForm(request.GET)
    if query.is_valid() and query.cleaned_data["backfill"]:
        backfill = Backfill.objects.filter(
            pk=query.cleaned_data["backfill"], flow__integration=integration
        ).first()
    published = (integration.draft or {}).get("published") and integration.is_active
    candidates = publish.backfill_flows(integration) if published else []
    wanted = request.GET.get("preview", "")
    to_preview = next((f for f in candidates if str(f.pk) == wanted), None)
    return render(
        request,
        "dashboard/wizard/publish.html",
        wizard_context(
            integration,
            "publish",
            draft=draft,
            flows=_live_flows(draft),
            problems=[] if published else publish.problems(draft, s),
            errors=errors,
            published=published,
            backfill=backfill,
            progress=lifecycle.backfill_progress(backfill) if backfill else None,
            backfill_candidates=candidates,
            preview=bulk_preview(to_preview) if to_preview and not backfill else None,
            backfill_sources=[
                f for f in _live_flows(draft) if s.a and s.of(f)[0].connector.can_poll()
            ],
            versions=integration.versions.all()[:10],
        ),
        status=400 if errors else 200,
    )


def _start_backfill(request: HttpRequest, integration: Any) -> HttpResponse:
    wanted = request.POST.get("backfill", "")
    flow = next((f for f in publish.backfill_flows(integration) if str(f.pk) == wanted), None)
    if flow is None:
        messages.error(request, "Choose a flow whose existing records can be synced.")
        return redirect(step_url(integration, "publish"))
    try:
        backfill = lifecycle.start_backfill(flow, request.user)
    except BulkRefused as exc:
        messages.error(request, str(exc))
        return redirect(step_url(integration, "publish"))
    return redirect(step_url(integration, "publish", backfill=str(backfill.pk)))


@require_GET
@workspace_view("manage")
def backfill_progress(request: HttpRequest, code: UUID, pk: int) -> HttpResponse:
    integration = get_integration(request, code)
    backfill = get_object_or_404(Backfill, pk=pk, flow__integration=integration)
    progress = lifecycle.backfill_progress(backfill)
    response = render(
        request,
        "dashboard/wizard/publish.html#progress",
        {"integration": integration, "backfill": backfill, "progress": progress},
    )
    if progress["finished"]:
        return HttpResponseStopPolling(response.content)
    return response
