"""Publishing a draft: real Flow/Step rows, versions with snapshots, audit, test syncs."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from integrations.models import (
    AuditEntry,
    Backfill,
    Flow,
    Integration,
    IntegrationStatus,
    IntegrationVersion,
    Run,
    Step,
    TriggerKind,
)
from integrations.sync import dispatch, mapping
from integrations.wizard import drafts
from integrations.wizard.drafts import Sides, WizardError, sides

STEP_FIELDS = (
    "operation",
    "update_operation",
    "record_mode",
    "source_id_path",
    "result_id_path",
    "target_id_param",
    "mapping",
    "params",
)


def problems(draft: dict[str, Any], s: Sides) -> list[str]:
    out = []
    if s.a is None or s.b is None:
        out.append("Choose both connections (step 1).")
    live = [f for f in draft.get("flows", []) if f.get("enabled", True)]
    if not live:
        out.append("Choose at least one flow (step 2).")
    for flow in live:
        for step in flow.get("steps", []):
            for problem in mapping.validate(step.get("mapping") or []):
                out.append(f"{flow['name']}: {problem}")
    # A flow needs the union of its operations' scopes; an OAuth connection that was not
    # granted them would fail every run (PIT scopes are not known to us).
    for check in drafts.scope_checks(draft, s):
        if check.missing and check.connection.auth_method == "oauth2":
            out.append(
                f"{check.connection}: the flows need {', '.join(check.missing)}, which this "
                "connection was not granted. Reconnect asking for "
                f"{'it' if len(check.missing) == 1 else 'them'} (step 2)."
            )
    return out


def snapshot(integration: Integration) -> dict[str, Any]:
    flows = integration.flows.filter(enabled=True).prefetch_related("steps").order_by("pk")
    return {
        "flows": [
            {
                "id": flow.pk,
                "name": flow.name,
                "source": str(flow.source.code),
                "trigger_kind": flow.trigger_kind,
                "trigger_config": flow.trigger_config,
                "object_type": flow.object_type,
                "steps": [
                    {
                        "key": step.key,
                        "connection": str(step.connection.code),
                        **{f: getattr(step, f) for f in STEP_FIELDS},
                    }
                    for step in flow.steps.all()
                ],
            }
            for flow in flows
        ]
    }


def _mappings(snap: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{flow['name']} / {step['key']}": step["mapping"]
        for flow in snap.get("flows", [])
        for step in flow["steps"]
    }


def _write_flows(
    integration: Integration, draft: dict[str, Any], s: Sides, user: Any = None
) -> list[Flow]:
    written = []
    for spec in draft.get("flows", []):
        source, target = s.of(spec)
        flow = integration.flows.filter(pk=spec.get("id")).first() if spec.get("id") else None
        flow = flow or Flow(integration=integration)
        flow.name = spec["name"][:120]
        flow.source = source
        flow.trigger_kind = spec["trigger_kind"]
        flow.trigger_config = dict(spec.get("trigger_config") or {})
        if flow.trigger_kind == TriggerKind.SCHEDULE and not flow.trigger_config.get("summary_to"):
            flow.trigger_config["summary_to"] = getattr(user, "email", "") or ""
        flow.object_type = spec.get("object_type") or "contact"
        flow.enabled = bool(spec.get("enabled", True))
        flow.save()
        spec["id"] = flow.pk
        keys = []
        for position, step in enumerate(spec.get("steps", []), 1):
            keys.append(step["key"])
            Step.objects.update_or_create(
                flow=flow,
                key=step["key"],
                defaults={
                    "position": position,
                    "connection": target,
                    **{f: step.get(f) or _empty(f) for f in STEP_FIELDS},
                },
            )
        flow.steps.exclude(key__in=keys).delete()
        written.append(flow)
    return written


def _empty(field: str) -> Any:
    return {"mapping": [], "params": {}}.get(field, "")


@transaction.atomic
def publish(integration: Integration, draft: dict[str, Any], user: Any, note: str = "") -> bool:
    """Make the draft live; returns whether a new version was recorded."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    s = sides(integration, draft)
    found = problems(draft, s)
    if found:
        raise WizardError(" ".join(found))
    before = snapshot(integration)
    _write_flows(integration, draft, s, user)
    after = snapshot(integration)
    changed = before != after or not integration.versions.exists()
    if changed:
        number = (
            integration.versions.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        IntegrationVersion.objects.create(
            integration=integration, number=number, snapshot=after, note=note[:300], created_by=user
        )
        integration.version = number
        old, new = _mappings(before), _mappings(after)
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name) and before.get("flows"):
                AuditEntry.record(
                    integration.workspace,
                    user,
                    "mapping.changed",
                    name,
                    before=old.get(name),
                    after=new.get(name),
                    version=number,
                )
    was = integration.status
    integration.status = IntegrationStatus.ACTIVE
    integration.paused_reason = ""
    integration.paused_at = None
    integration.draft = {"step": "publish", "published": True}
    integration.save()
    AuditEntry.record(
        integration.workspace,
        user,
        "integration.published",
        integration.name,
        version=integration.version,
        was=was,
    )
    return changed


def test_sync(integration: Integration, draft: dict[str, Any], flow_key: str, sample: Any) -> Run:
    """Queue one run of the draft flow for the sample record (trigger "test")."""
    s = sides(integration, draft)
    spec = next((f for f in draft.get("flows", []) if f["key"] == flow_key), None)
    if spec is None or not isinstance(sample, dict) or not sample:
        raise WizardError("there is no sample record to test with")
    source, target = s.of(spec)
    # A disabled manual flow of the draft itself: the engine runs "test" runs whatever
    # the integration's status, and nothing else ever triggers this flow.
    flow, _ = Flow.objects.update_or_create(
        integration=integration,
        name=f"test: {spec['key']}",
        defaults={
            "source": source,
            "trigger_kind": TriggerKind.MANUAL,
            "trigger_config": {},
            "object_type": spec.get("object_type") or "contact",
            "enabled": False,
            "max_attempts": 1,
        },
    )
    flow.steps.all().delete()
    for position, step in enumerate(spec.get("steps", []), 1):
        Step.objects.create(
            flow=flow,
            key=step["key"],
            position=position,
            connection=target,
            **{f: step.get(f) or _empty(f) for f in STEP_FIELDS},
        )
    run = dispatch.create_run(flow, sample, trigger="test", event_type="wizard test")
    if run is None:
        raise WizardError("the test run could not be queued")
    return run


def backfill_flows(integration: Integration) -> list[Flow]:
    from integrations.lifecycle import backfillable

    return [
        f
        for f in integration.flows.filter(enabled=True).exclude(steps__record_mode="delete")
        if backfillable(f)
    ]


def latest_backfill(integration: Integration) -> Backfill | None:
    return Backfill.objects.filter(flow__integration=integration).order_by("-started").first()
