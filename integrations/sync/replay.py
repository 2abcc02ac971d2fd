"""Replay the failures of a flow with its mapping as it is now.

First a dry run: for up to N failed runs (not retried, not dismissed), what each record
step would now write, next to what the old run sent (a diff), or why it would still fail —
nothing is written and no app is called. Then the replay: one new run per failed run,
linked to it (`retry_of`, trigger "replay"), executed like any run with the current steps.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from integrations import runs as run_actions
from integrations import safejson
from integrations.models import AuditEntry, Flow, Run, Step
from integrations.sync import links, mapping

TRIGGER = "replay"
MAX = 200


def failures(flow: Flow, limit: int) -> list[Run]:
    runs = run_actions.retryable(Run.objects.filter(flow=flow))
    return list(runs.order_by("-created", "-pk")[: max(1, min(limit, MAX))])


def _bound(rules: list[dict[str, Any]], flow: Flow, step: Step, context: dict[str, Any]) -> list:
    """References as the linked id when the link exists; else said (synced first on replay)."""
    out = []
    for rule in rules or []:
        if not isinstance(rule, dict) or not rule.get("ref"):
            out.append(rule)
            continue
        raw = mapping.get_path(context, str(rule.get("source") or ""))
        if raw is mapping.MISSING or raw in (None, ""):
            out.append(rule)
            continue
        side = links.find(str(rule["ref"]), flow.source, str(raw), step.connection)
        value = side.target_record if side else f"(the {rule['ref']} linked to {raw}, synced first)"
        out.append({"target": rule["target"], "const": value})
    return out


def _sent(run: Run, step: Step) -> dict[str, Any] | None:
    """The body the old run last sent for this step (None: it sent nothing)."""
    call = run.steps.filter(step_key=step.key).exclude(request_body="").order_by("-pk").first()
    if call is None:
        return None
    try:
        body = safejson.loads(call.request_body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def preview(run: Run) -> dict[str, Any]:
    """What replaying `run` now would write, step by step (no call is made)."""
    flow = run.flow
    context: dict[str, Any] = {
        "trigger": run.payload,
        "event": {"type": run.event_type, "trigger": run.trigger},
        "steps": {},
    }
    steps = []
    ok = True
    for step in flow.steps.select_related("connection").order_by("position"):
        item: dict[str, Any] = {"key": step.key, "app": step.connection, "error": "", "diff": []}
        if step.record_mode == Step.RecordMode.TAGS:
            item["note"] = "tags: the difference is computed when the run executes"
            steps.append(item)
            continue
        try:
            after = mapping.apply(_bound(step.mapping, flow, step, context), context)
        except mapping.MappingError as exc:
            item["error"] = str(exc)
            ok = False
            steps.append(item)
            continue
        before = _sent(run, step)
        item["sent_before"] = before is not None
        old = before or {}
        for key in sorted(set(old) | set(after)):
            if key not in after:
                item["diff"].append((key, old.get(key), None, "dropped"))
            elif key not in old:
                item["diff"].append((key, None, after[key], "new"))
            elif old[key] != after[key]:
                item["diff"].append((key, old[key], after[key], "changed"))
        item["after"] = after
        steps.append(item)
    return {"run": run, "steps": steps, "ok": ok}


def replay(runs: list[Run], user: Any, flow: Flow) -> list[Run]:
    """One new run per failed run, linked to it; executed with the flow's steps as now."""
    from integrations.sync.dispatch import create_run

    made = []
    with transaction.atomic():
        ids = [r.pk for r in runs]
        for old in run_actions.retryable(Run.objects.filter(pk__in=ids, flow=flow)).order_by(
            "created", "pk"
        ):
            new = create_run(
                flow,
                old.payload,
                trigger=TRIGGER,
                event_type=old.event_type,
                webhook_event=old.webhook_event,
                retry_of=old,
            )
            if new is not None:
                made.append(new)
        AuditEntry.record(
            flow.integration.workspace, user, "flow.replayed", flow.name, runs=len(made)
        )
    return made
