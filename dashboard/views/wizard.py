"""The Integrations list and the setup wizard's first steps (apps, credentials, flows).

Each step is a GET page with a form that POSTs and redirects to the next step, so the
back button works; htmx only refreshes parts of a page. Logic lives in integrations.wizard.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from dashboard.access import workspace_view
from dashboard.views.wizard_forms import (
    FlowsForm,
    NewIntegrationForm,
    OperationsForm,
    YourAppForm,
    form_errors,
)
from integrations.connecting import check_connection
from integrations.connectors.base import ConnectorError
from integrations.connectors.registry import connector_class
from integrations.models import AuditEntry, Connection, Integration
from integrations.wizard import drafts
from integrations.wizard.drafts import STEP_TITLES, STEPS, WizardError
from integrations.wizard.templates import for_pair


def get_integration(request: HttpRequest, code: UUID) -> Integration:
    return get_object_or_404(Integration, code=code, workspace=request.workspace)  # type: ignore[attr-defined]


def step_url(integration: Integration, step: str, **query: str) -> str:
    url = reverse(f"dashboard:wizard_{step}", args=[integration.code])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def wizard_context(integration: Integration, step: str, **extra: Any) -> dict[str, Any]:
    draft = extra.pop("draft", None) or drafts.draft_of(integration)
    return {
        "integration": integration,
        "draft": draft,
        "step": step,
        "steps": [(s, STEP_TITLES[s], step_url(integration, s)) for s in STEPS],
        "step_number": STEPS.index(step) + 1,
        "title": f"{STEP_TITLES[step]} · {integration.name}",
        **extra,
    }


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    integrations = list(request.workspace.integrations.prefetch_related("flows"))  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/wizard/list.html",
        {
            "integrations": integrations,
            "can_manage": request.membership.can("manage"),  # type: ignore[attr-defined]
            "title": "Integrations",
        },
    )


@workspace_view("manage")
def new(request: HttpRequest) -> HttpResponse:
    form = NewIntegrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            integration = drafts.new_draft(
                request.workspace,  # type: ignore[attr-defined]
                form.cleaned_data["name"],
                form.cleaned_data["a_kind"],
                form.cleaned_data["b_kind"],
            )
        except WizardError as exc:
            form.add_error(None, str(exc))
        else:
            AuditEntry.record(
                request.workspace,
                request.user,
                "integration.created",
                integration.name,  # type: ignore[attr-defined]
            )
            return redirect(step_url(integration, "credentials"))
    return render(request, "dashboard/wizard/new.html", {"form": form, "title": "New integration"})


@require_GET
@workspace_view("manage")
def resume(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    step = (integration.draft or {}).get("step")
    if step not in STEPS or (integration.draft or {}).get("published"):
        step = "credentials" if not integration.flows.exists() else "flows"
    return redirect(step_url(integration, step))


def _credentials_context(
    integration: Integration, draft: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    s = drafts.sides(integration, draft)
    conns = integration.workspace.connections.all()
    sides = []
    for side, kind, chosen in (("a", s.a_kind, s.a), ("b", s.b_kind, s.b)):
        cls = connector_class(kind)
        sides.append(
            {
                "side": side,
                "kind": kind,
                "app": cls,
                "label": cls.label,
                "connections": [c for c in conns if c.kind == kind],
                "chosen": chosen,
                "oauth": "oauth2" in cls.auth_methods,
                "pit": "pit" in cls.auth_methods,
                "forms": cls.connect_choices(),
                "inline": cls.connects_in_wizard,
            }
        )
    return wizard_context(
        integration,
        "credentials",
        draft=draft,
        sides=sides,
        scope_checks=drafts.scope_checks(draft, s),
        yourapp_form=extra.pop("yourapp_form", None) or YourAppForm(),
        **extra,
    )


@workspace_view("manage")
def credentials(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    errors: list[str] = []
    if request.method == "POST":
        chosen = {}
        for side in ("a", "b"):
            conn = _connection(integration, request.POST.get(side, ""))
            if conn is None or conn.kind != draft.get(f"{side}_kind"):
                label = drafts.kind_label(draft.get(f"{side}_kind", ""))
                errors.append(f"Choose a {label} connection.")
            else:
                chosen[side] = str(conn.code)
        if not errors:
            draft.update(chosen)
            drafts.save_draft(integration, draft, "flows")
            return redirect(step_url(integration, "flows"))
        draft.update(chosen)
    return render(
        request,
        "dashboard/wizard/credentials.html",
        _credentials_context(integration, draft, errors=errors),
        status=400 if errors else 200,
    )


# API keys and passwords stay out of DEBUG error pages and error reports.
@sensitive_post_parameters()
@require_POST
@workspace_view("manage")
@sensitive_variables()
def connect_yourapp(request: HttpRequest, code: UUID) -> HttpResponse:
    """Inline "Your App" connection: configure the rest connector, test it, choose it."""
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    side = "b" if draft.get("b_kind") == "rest" else "a"
    form = YourAppForm(request.POST)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        conn = Connection(
            workspace=integration.workspace,
            kind="rest",
            label=data["label"],
            created_by=request.user,
        )
        try:
            conn.connector.configure(  # type: ignore[attr-defined]
                data["base_url"] or "",
                data["auth_type"],
                api_key=data["api_key"],
                header_name=data["header_name"],
                username=data["username"],
                password=data["password"],
                webhook_url=data["webhook_url"] or "",
                test={"method": "GET", "path": "/contacts", "query": {"per_page": "1"}}
                if data["base_url"]
                else None,
            )
            result = conn.connector.test()
        except ConnectorError as exc:
            form.add_error(None, exc.message)
        else:
            if not result.ok:
                form.add_error(None, f"The test call failed: {result.message}")
            else:
                with transaction.atomic():
                    conn.save()
                    check_connection(conn)
                    AuditEntry.record(
                        integration.workspace, request.user, "connection.created", str(conn)
                    )
                draft[side] = str(conn.code)
                drafts.save_draft(integration, draft)
                messages.success(request, f"Connected {conn}: {result.message}")
                if not request.htmx:  # type: ignore[attr-defined]
                    return redirect(step_url(integration, "credentials"))
                form = YourAppForm()
    context = _credentials_context(integration, draft, yourapp_form=form, just_tested=result)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "dashboard/wizard/credentials.html#sides", context)
    return render(request, "dashboard/wizard/credentials.html", context, status=400)


def _flows_context(integration: Integration, draft: dict[str, Any], **extra: Any) -> dict[str, Any]:
    s = drafts.sides(integration, draft)
    templates = []
    if s.a and s.b:
        for t in for_pair(s.a_kind, s.b_kind):
            templates.append({"t": t, "reason": t.unavailable(s.a, s.b)})
    trigger_side = extra.pop("trigger_side", "a")
    source = s.a if trigger_side == "a" else s.b
    target = s.b if trigger_side == "a" else s.a
    return wizard_context(
        integration,
        "flows",
        draft=draft,
        sides=s,
        templates=templates,
        trigger_side=trigger_side,
        source=source,
        target=target,
        events=list(source.connector.event_types) if source else [],
        poll_ops=drafts.operations(source, "trigger") if source else {},
        actions=drafts.operations(target, "action") if target else {},
        scope_checks=drafts.scope_checks(draft, s),
        **extra,
    )


@workspace_view("manage")
def flows(request: HttpRequest, code: UUID) -> HttpResponse:
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    s = drafts.sides(integration, draft)
    if s.a is None or s.b is None:
        messages.error(request, "Choose both connections first.")
        return redirect(step_url(integration, "credentials"))
    errors: list[str] = []
    trigger_side = request.GET.get("side", "a") if request.GET.get("side") in ("a", "b") else "a"
    form = FlowsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not form.is_valid():
        errors += form_errors(form)
    elif request.method == "POST":
        data = form.cleaned_data
        action = data["action"]
        trigger_side = data["side"] or trigger_side
        try:
            if action == "template":
                drafts.apply_template(draft, data["template"], s)
            elif action == "scratch":
                drafts.scratch_flow(
                    draft,
                    s,
                    side=trigger_side,
                    trigger_kind=data["trigger_kind"],
                    events=data["events"],
                    poll_operation=data["poll_operation"],
                    interval=data["interval"] or 5,
                    action=data["operation"],
                    update_action=data["update_operation"],
                    object_type=data["object_type"] or "contact",
                )
            elif action == "remove":
                key = data["flow"]
                for flow in draft.get("flows", []):
                    if flow["key"] == key:
                        if flow.get("id"):
                            flow["enabled"] = False  # published: disabled on publish
                        else:
                            draft["flows"].remove(flow)
                        break
            elif action == "continue":
                if not any(f.get("enabled", True) for f in draft.get("flows", [])):
                    raise WizardError("Choose a template or add a flow first.")
                drafts.save_draft(integration, draft, "map")
                return redirect(step_url(integration, "map"))
            else:
                raise WizardError("Unknown action.")
        except WizardError as exc:
            errors.append(str(exc))
        else:
            drafts.save_draft(integration, draft, "flows")
            return redirect(step_url(integration, "flows") + f"?side={trigger_side}")
    context = _flows_context(
        integration, draft, trigger_side=trigger_side, errors=errors, posted=request.POST
    )
    return render(request, "dashboard/wizard/flows.html", context, status=400 if errors else 200)


@require_GET
@workspace_view("manage")
def operations(request: HttpRequest, code: UUID) -> HttpResponse:
    """The action list, filtered by the search box (htmx)."""
    integration = get_integration(request, code)
    draft = drafts.draft_of(integration)
    s = drafts.sides(integration, draft)
    form = OperationsForm(request.GET)
    if not form.is_valid():
        return HttpResponse(" ".join(form_errors(form)), status=400)
    query = form.cleaned_data
    target = s.b if (query["side"] or "a") == "a" else s.a
    actions = drafts.operations(target, "action", query["q"]) if target else {}
    return render(
        request,
        "dashboard/wizard/flows.html#action-list",
        {"actions": actions, "chosen": query["operation"], "q": query["q"]},
    )


def _connection(integration: Integration, code: str) -> Connection | None:
    try:
        return Connection.objects.filter(workspace=integration.workspace, code=UUID(code)).first()
    except ValueError:
        return None
