"""The draft: which connections, which flows; scopes they need; catalog look-ups."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from integrations.connectors.base import ConnectorError, Operation
from integrations.connectors.registry import CONNECTORS, connector_class
from integrations.models import Connection, Integration, IntegrationStatus, Workspace
from integrations.wizard.templates import TEMPLATES

STEPS = ("credentials", "flows", "map", "test", "publish")
STEP_TITLES = {
    "credentials": "Apps and credentials",
    "flows": "What flows where",
    "map": "Map fields",
    "test": "Test",
    "publish": "Publish",
}


class WizardError(Exception):
    """Something the person in the wizard must fix; the message says what."""


def new_draft(workspace: Workspace, name: str, a_kind: str, b_kind: str) -> Integration:
    for kind in (a_kind, b_kind):
        if kind not in CONNECTORS:
            raise WizardError(f"unknown app {kind!r}")
    name = name.strip()
    if not name:
        raise WizardError("give the integration a name")
    if Integration.objects.filter(workspace=workspace, name=name).exists():
        raise WizardError(f"an integration named “{name}” exists already")
    return Integration.objects.create(
        workspace=workspace,
        name=name,
        status=IntegrationStatus.DRAFT,
        version=0,
        draft={"a_kind": a_kind, "b_kind": b_kind, "flows": [], "step": "credentials"},
    )


def draft_of(integration: Integration) -> dict[str, Any]:
    """The wizard's working copy; an integration built elsewhere is loaded from its flows."""
    draft = copy.deepcopy(integration.draft or {})
    if draft.get("flows") or not integration.flows.exists():
        draft.setdefault("flows", [])
        return draft
    flows = list(integration.flows.select_related("source").prefetch_related("steps"))
    first = flows[0]
    a = first.source
    b = next((s.connection for f in flows for s in f.steps.all() if s.connection_id != a.pk), a)
    kinds = list(CONNECTORS)  # side "a" is the app listed first in the registry (GHL)
    if kinds.index(a.kind) > kinds.index(b.kind):
        a, b = b, a
    draft.update(
        {
            "a": str(a.code),
            "b": str(b.code),
            "a_kind": a.kind,
            "b_kind": b.kind,
            "flows": [flow_spec(flow, a) for flow in flows],
        }
    )
    return draft


def flow_spec(flow: Any, a: Connection) -> dict[str, Any]:
    return {
        "key": f"f{flow.pk}",
        "id": flow.pk,
        "name": flow.name,
        "enabled": flow.enabled,
        "from": "a" if flow.source_id == a.pk else "b",
        "trigger_kind": flow.trigger_kind,
        "trigger_config": flow.trigger_config,
        "object_type": flow.object_type,
        "steps": [
            {
                "key": s.key,
                "operation": s.operation,
                "update_operation": s.update_operation,
                "record_mode": s.record_mode,
                "source_id_path": s.source_id_path,
                "result_id_path": s.result_id_path,
                "target_id_param": s.target_id_param,
                "mapping": s.mapping,
                "params": s.params,
            }
            for s in flow.steps.all()
        ],
    }


def save_draft(integration: Integration, draft: dict[str, Any], step: str | None = None) -> None:
    if step:
        draft["step"] = step
    integration.draft = draft
    integration.save(update_fields=["draft", "updated"])


@dataclass
class Sides:
    a: Connection | None
    b: Connection | None
    a_kind: str
    b_kind: str

    def of(self, flow: dict[str, Any]) -> tuple[Connection, Connection]:
        """(source, target) of a draft flow."""
        if self.a is None or self.b is None:
            raise WizardError("choose both connections first")
        return (self.a, self.b) if flow.get("from", "a") == "a" else (self.b, self.a)


def sides(integration: Integration, draft: dict[str, Any]) -> Sides:
    conns = {
        str(c.code): c
        for c in Connection.objects.filter(
            workspace=integration.workspace,
            code__in=[v for v in (draft.get("a"), draft.get("b")) if v],
        )
    }
    return Sides(
        conns.get(str(draft.get("a"))),
        conns.get(str(draft.get("b"))),
        draft.get("a_kind", "ghl"),
        draft.get("b_kind", "rest"),
    )


def apply_template(draft: dict[str, Any], template_id: str, s: Sides) -> None:
    template = TEMPLATES.get(template_id)
    if template is None or s.a is None or s.b is None:
        raise WizardError("choose a template for the two connected apps")
    reason = template.unavailable(s.a, s.b)
    if reason:
        raise WizardError(reason)
    flows = template.build(s.a, s.b)
    kept = [f for f in draft.get("flows", []) if f.get("id")]
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"t{n}"
    # Flows of a published integration that the template does not keep are disabled.
    for old in kept:
        old["enabled"] = False
        old["key"] = f"f{old['id']}"
    draft["flows"] = kept + flows
    draft["template"] = template_id
    draft.pop("samples", None)


def operations(connection: Connection, role: str, query: str = "") -> dict[str, list[Operation]]:
    """A connection's operations of one role, grouped by category, filtered by `query`."""
    words = query.lower().split()
    grouped: dict[str, list[Operation]] = {}
    for op in connection.connector.catalog:
        if op.role != role:
            continue
        text = f"{op.id} {op.name} {op.category} {op.description}".lower()
        if all(w in text for w in words):
            grouped.setdefault(op.category, []).append(op)
    return grouped


def find_operation(connection: Connection, op_id: str) -> Operation | None:
    try:
        return connection.connector.catalog[op_id]
    except ConnectorError:
        return None


def scratch_flow(
    draft: dict[str, Any],
    s: Sides,
    *,
    side: str,
    trigger_kind: str,
    events: list[str],
    poll_operation: str,
    interval: int,
    action: str,
    update_action: str,
    object_type: str,
) -> dict[str, Any]:
    """A flow chosen from the catalogs; raises WizardError with what is missing."""
    if side not in ("a", "b"):
        raise WizardError("choose which app the trigger watches")
    source, target = s.of({"from": side})
    if trigger_kind == "webhook":
        known = list(source.connector.event_types)
        if not events or any(e not in known for e in events):
            raise WizardError("choose at least one event of the trigger app")
        trigger_config: dict[str, Any] = {"events": events}
    elif trigger_kind == "poll":
        if not source.connector.can_poll():
            raise WizardError(f"{source.connector.label} cannot be polled")
        if not 1 <= interval <= 15:
            raise WizardError("the polling interval is 1 to 15 minutes")
        trigger_config = {"interval_minutes": interval, "object": object_type}
        if poll_operation:
            trigger_config["operation"] = poll_operation
    else:
        raise WizardError("choose a trigger: an app event or polling")
    op = find_operation(target, action)
    if op is None or op.role != "action":
        raise WizardError("choose an action of the other app")
    update_op = find_operation(target, update_action) if update_action else None
    if update_action and (update_op is None or update_op.role != "action"):
        raise WizardError("the update action is not an action of the other app")
    key = f"s{len(draft.get('flows', [])) + 1}"
    while any(f["key"] == key for f in draft.get("flows", [])):
        key += "x"
    result_id = f"{op.envelope}.id" if op.envelope else "id"
    step = {
        "key": "step1",
        "operation": op.id,
        "update_operation": update_op.id if update_op else "",
        "record_mode": "sync" if update_op else "",
        "source_id_path": "trigger.id",
        "result_id_path": result_id,
        "target_id_param": (update_op.path_params or ["id"])[0] if update_op else "id",
        "mapping": [],
        "params": {},
    }
    flow = {
        "key": key,
        "name": f"{source} {', '.join(events) if events else 'poll'} → {op.name} in {target}",
        "from": side,
        "trigger_kind": trigger_kind,
        "trigger_config": trigger_config,
        "object_type": object_type or "contact",
        "steps": [step],
    }
    draft.setdefault("flows", []).append(flow)
    draft["template"] = draft.get("template") or "scratch"
    return flow


@dataclass
class ScopeCheck:
    connection: Connection
    needed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reconnect_scopes: list[str] = field(default_factory=list)
    needed_by: dict[str, list[str]] = field(default_factory=dict)


def scope_checks(draft: dict[str, Any], s: Sides) -> list[ScopeCheck]:
    """Per connection: the scopes the draft's flows need and which it was not granted."""
    checks: dict[int, ScopeCheck] = {}

    def need(conn: Connection, op_id: str, flow_name: str) -> None:
        op = find_operation(conn, op_id) if op_id else None
        check = checks.setdefault(conn.pk, ScopeCheck(conn))
        if op is None or not op.scope:
            return
        if op.scope not in check.needed:
            check.needed.append(op.scope)
        check.needed_by.setdefault(op.scope, [])
        if flow_name not in check.needed_by[op.scope]:
            check.needed_by[op.scope].append(flow_name)

    if s.a is None or s.b is None:
        return []
    for flow in draft.get("flows", []):
        if flow.get("enabled") is False:
            continue
        source, target = s.of(flow)
        trigger_op = (flow.get("trigger_config") or {}).get("operation", "")
        need(source, trigger_op, flow["name"])
        if source.connector.list_operation:  # samples and backfills list records
            need(source, source.connector.list_operation, flow["name"])
        for step in flow.get("steps", []):
            for op_id in (step.get("operation"), step.get("update_operation")):
                need(target, op_id or "", flow["name"])
    for check in checks.values():
        conn = check.connection
        granted = set(conn.scopes_granted or [])
        check.missing = [scope for scope in check.needed if scope not in granted]
        if check.missing:
            check.reconnect_scopes = list(
                dict.fromkeys([*(conn.scopes_requested or []), *check.missing])
            )
    return list(checks.values())


def kind_label(kind: str) -> str:
    return connector_class(kind).label
