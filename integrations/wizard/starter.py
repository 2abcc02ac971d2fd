"""The two-way demo integration, built from the wizard's own templates and published like
one a person made: contacts both ways (with tags), tasks, notes and appointments, and the
15-minute poll that catches lost webhooks. `seed_demo` builds it against the sandboxes."""

from __future__ import annotations

from typing import Any

from integrations.models import Connection, Integration, IntegrationStatus, Workspace
from integrations.wizard import publish, related
from integrations.wizard.templates import TEMPLATES

TWO_WAY_NAME = "GHL ↔ Your App: contacts, tasks, notes, appointments, tags (demo)"
TEMPLATE_IDS = ("ghl_contact_to_app", "app_contact_to_ghl", "ghl_tasks_to_app", "ghl_notes_to_app")


def flows_for(ghl: Connection, app: Connection, calendar_id: str) -> list[dict[str, Any]]:
    flows: list[dict[str, Any]] = []
    for template_id in TEMPLATE_IDS:
        flows += TEMPLATES[template_id].build(ghl, app)
    flows += related.appointments(ghl, app, calendar_id=calendar_id)
    flows += TEMPLATES["scheduled_15"].build(ghl, app)
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"d{n}"
    return flows


def build_two_way(
    workspace: Workspace,
    ghl: Connection,
    app: Connection,
    *,
    calendar_id: str,
    user: Any = None,
    name: str = TWO_WAY_NAME,
) -> Integration:
    """Create or refresh the integration; flows keep their ids (and history) by name."""
    return publish_demo(workspace, name, ghl, app, flows_for(ghl, app, calendar_id), user)


def publish_demo(
    workspace: Workspace,
    name: str,
    ghl: Connection,
    app: Connection,
    flows: list[dict[str, Any]],
    user: Any = None,
) -> Integration:
    """Publish a demo integration GHL ↔ `app` from wizard flows, as a person would: created
    the first time, refreshed after; flows keep their ids (and history) by name."""
    integration = Integration.objects.filter(workspace=workspace, name=name).first()
    if integration is None:
        integration = Integration.objects.create(
            workspace=workspace, name=name, status=IntegrationStatus.DRAFT, version=0
        )
    existing = dict(integration.flows.values_list("name", "pk"))
    for flow in flows:
        if flow["name"] in existing:
            flow["id"] = existing[flow["name"]]
    draft = {"a": str(ghl.code), "b": str(app.code), "a_kind": ghl.kind, "b_kind": app.kind}
    publish.publish(integration, {**draft, "flows": flows}, user, note="demo seed")
    integration.refresh_from_db()
    return integration


def ghl_calendar(ghl: Connection) -> str:
    """The first calendar of the GHL sandbox location (demo appointments go there)."""
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("sandbox_calendars", "--location", ghl.account_id, stdout=out)
    calendars = json.loads(out.getvalue())
    return calendars[0]["id"] if calendars else ""
