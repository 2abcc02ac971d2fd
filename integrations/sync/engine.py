"""Run a flow: claim the run, execute its steps, record every outside call, decide retries.

Tasks call `execute(run_id)`; it is idempotent (a run is claimed with a conditional UPDATE
that exactly one worker wins) and safe to call twice. The database is the source of truth:
the run's status, attempts, steps and log lines are all rows.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import (
    IntegrationStatus,
    Run,
    RunStatus,
    Step,
)
from integrations.sync import (
    breaker,
    conflicts,
    failures,
    fields,
    ledger,
    links,
    mapping,
    refs,
    tags,
    twoway,
)
from integrations.sync.runlog import RunLog, Tracked, save_calls

log = logging.getLogger(__name__)

# Enqueueing is injected by the tasks module (integrations/ imports run one way).
Enqueue = failures.Enqueue


class Skip(Exception):
    """Nothing to do for this step (unchanged, echo, no linked record)."""


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def claim(run_id: int) -> Run | None:
    now = timezone.now()
    updated = (
        Run.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RETRYING])
        .filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1))
        )
        # Test runs (the wizard's test sync) run whatever the integration's state.
        .filter(
            Q(trigger="test")
            | Q(flow__integration__status=IntegrationStatus.ACTIVE, flow__enabled=True)
        )
        .update(
            status=RunStatus.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            lease_until=now + timedelta(seconds=_setting("RUN_LEASE_SECONDS", 300)),
            attempt=F("attempt") + 1,
            next_attempt_at=None,
        )
    )
    if updated != 1:
        return None
    return Run.objects.select_related("flow__integration", "flow__source", "workspace").get(
        pk=run_id
    )


def _source_keys(step: Step) -> list[str]:
    paths = []
    for rule in step.mapping:
        for path in [rule.get("source"), *list(rule.get("sources") or [])]:
            if isinstance(path, str) and path.startswith("trigger."):
                paths.append(path.removeprefix("trigger."))
    return links.top_keys(paths)


def _find_existing(
    step: Step, connector: Any, payload: dict[str, Any], flow: Any = None, source_id: str = ""
) -> str | None:
    """Dedupe before create: look the record up by email/phone when the step says how.

    A record found that way but already linked to another source record is refused (a
    validation error naming both): two source records must not share one target.
    """
    find = (step.params or {}).get("_find")
    if not find:
        return None
    params = {}
    for param, field in find.get("by", {}).items():
        value = payload.get(field)
        if value in (None, ""):
            continue
        params[param] = value
    if not params:
        return None
    result = connector.call(find["operation"], **params)
    found = mapping.get_path(result, find.get("result_id_path", "id"))
    if found is mapping.MISSING or not found:
        return None
    if flow is not None:
        by = ", ".join(str(field) for field in find.get("by", {}).values())
        links.refuse_shared_target(
            flow.object_type, flow.source, source_id, step.connection, str(found), found_by=by
        )
    return str(found)


def _condition_met(step: Step, context: dict[str, Any]) -> bool:
    """A step's optional `_when`: run it only when the value at `source` `equals` a value, or
    `contains` one (a list such as tags, compared without case)."""
    when = (step.params or {}).get("_when")
    if not isinstance(when, dict) or "source" not in when:
        return True
    value = mapping.get_path(context, str(when["source"]))
    if value is mapping.MISSING:
        return False
    if "contains" in when:
        wanted = str(when["contains"]).strip().casefold()
        items = value if isinstance(value, list) else [value]
        return any(str(item).strip().casefold() == wanted for item in items)
    return value == when.get("equals")


def _parent_syncer(run: Run, say: RunLog) -> refs.SyncParent:
    """Sync a child's parent first, in the same run; its calls are run steps of their own."""

    def sync(parent_flow: Any, parent_step: Step, record: dict[str, Any]) -> None:
        used: list[str] = []
        with http.recording() as records:
            try:
                run_step(run, parent_step, {"trigger": record, "steps": {}}, say, used, parent_flow)
            except Skip as skip:
                say.info(str(skip))
            finally:
                save_calls(run, parent_step, records, used, key=f"{parent_step.key} (parent)")

    return sync


def run_step(
    run: Run,
    step: Step,
    context: dict[str, Any],
    say: RunLog,
    used: list[str],
    flow: Any = None,
) -> Any:
    connector = Tracked(step.connection.connector, used)
    flow = flow or run.flow  # a parent synced first runs another flow's step
    if not _condition_met(step, context):
        raise Skip(f"{step.key}: its condition ({step.params['_when']['source']}) is not met")
    resolver = refs.Resolver(run, flow, step, say, _parent_syncer(run, say), used)
    if step.record_mode == Step.RecordMode.TAGS:
        return tags.apply_step(run, flow, step, context, say, connector, resolver)
    rules = resolver.mapping(step.mapping, context)
    payload = mapping.apply(rules, context)
    params = resolver.params(context)
    app = step.connection
    if not step.record_mode:
        result = connector.call(step.operation, body=payload or None, **params)
        say.info(f"{step.key}: {step.operation} on {app} done")
        return result

    source_id = mapping.get_path(context, step.source_id_path)
    if source_id is mapping.MISSING or source_id in (None, ""):
        raise mapping.MappingError(f"the source record has no id at {step.source_id_path}")
    source_id = str(source_id)
    side = links.find(flow.object_type, flow.source, source_id, app)
    if (
        side is None
        and step.record_mode != Step.RecordMode.DELETE
        and links.settle(flow.object_type, flow.source)  # maybe our own create, now linked
    ):
        side = links.find(flow.object_type, flow.source, source_id, app)
    trigger = context.get("trigger") or {}

    if step.record_mode == Step.RecordMode.DELETE:
        if side is None:
            raise Skip(f"{step.key}: no linked record in {app}; nothing to delete")
        try:
            connector.call(step.operation, **{step.target_id_param: side.target_record}, **params)
        except ConnectorError as exc:
            if exc.status != 404:
                raise
            say.info(
                f"{step.key}: {flow.object_type} {side.target_record} was already gone in {app}"
            )
        else:
            say.info(f"{step.key}: deleted {flow.object_type} {side.target_record} in {app}")
        links.mark_deleted(side, run)
        ledger.write(run, side.link, "deleted", app, side.target_record, {})
        return {"deleted": side.target_record}

    if side is not None and side.source_unchanged(trigger):
        if side.last_write_was_to_source:
            raise Skip(f"{step.key}: this event is our own last write coming back (echo); skipped")
        raise Skip(f"{step.key}: unchanged since the last sync; no write needed")
    if side is not None and fields.two_way(side, flow, app):  # field by field, conflicts settled
        return twoway.update(
            run, flow, step, side, context, rules, params, connector, say, used, _source_keys(step)
        )
    if side is not None and side.unchanged(payload):
        raise Skip(f"{step.key}: unchanged since the last sync; no write needed")

    target_id = (
        side.target_record if side else _find_existing(step, connector, payload, flow, source_id)
    )
    if not target_id and (step.params or {}).get("_require_link"):
        raise Skip(f"{step.key}: {flow.object_type} {source_id} is not linked to {app}; skipped")
    created = not target_id
    with contextlib.ExitStack() as creating:
        if target_id:
            operation = step.update_operation or step.operation
            # Rules marked "only_on": "create" (e.g. a new appointment's calendar) stay out.
            payload = mapping.apply([r for r in rules if r.get("only_on") != "create"], context)
            result = connector.call(
                operation, body=payload, **{step.target_id_param: target_id}, **params
            )
            say.info(f"{step.key}: updated {flow.object_type} {target_id} in {app}")
        else:
            # Marked until linked: the app's webhook about the new record waits for the link.
            creating.enter_context(links.creating(flow.object_type, app))
            result = connector.call(step.operation, body=payload, **params)
            found = mapping.get_path(result, step.result_id_path)
            if found is mapping.MISSING or not found:
                raise ConnectorError(
                    f"{app} answered without a record id at {step.result_id_path!r}", permanent=True
                )
            target_id = str(found)
            say.info(f"{step.key}: created {flow.object_type} {target_id} in {app}")
        link = links.record(
            run=run,
            object_type=flow.object_type,
            source=flow.source,
            source_record=source_id,
            source_data=trigger,
            source_keys=_source_keys(step),
            target=app,
            target_record=target_id,
            written=payload,
            label=run.record_label,
            side=side,
        )
        twoway.remember(run, flow, step, link, source_id, trigger, payload, rules, created=created)
    return result


def _one_writer(run: Run, step: Step, context: dict[str, Any]) -> Any:
    """A record step holds its record's lock from the link lookup to the link write."""
    source_id = mapping.get_path(context, step.source_id_path) if step.record_mode else None
    if source_id is mapping.MISSING or source_id in (None, ""):
        return contextlib.nullcontext()  # not a record step (or run_step says what is missing)
    flow = run.flow
    return links.writing(flow.object_type, flow.source, str(source_id), step.connection)


def execute(run_id: int, enqueue: Enqueue) -> str | None:
    """Execute one run; returns its new status (None when another worker has it)."""
    run = claim(run_id)
    if run is None:
        return None
    say = RunLog(run)
    try:
        return _execute(run, say, enqueue)
    finally:
        say.flush()


def _execute(run: Run, say: RunLog, enqueue: Enqueue) -> str:
    context: dict[str, Any] = {
        "trigger": run.payload,
        "event": {"type": run.event_type, "trigger": run.trigger},
        "steps": {},
    }
    if run.attempt == 1:
        say.info(
            f"Started: {run.event_type or run.trigger} for {run.record_label or run.record_id}"
        )
    else:
        say.info(f"Attempt {run.attempt}")
    skipped: list[str] = []
    current: Step | None = None
    try:
        steps = list(run.flow.steps.select_related("connection").order_by("position"))
        if run.trigger == conflicts.TRIGGER:  # an operator's choice, written to both apps
            conflicts.apply(run, say)
            steps = []
        for current in steps:
            breaker.check(current.connection, probe=run.trigger in ("retry", "test"))
            used: list[str] = []
            with http.recording() as records:
                try:
                    with _one_writer(run, current, context):
                        context["steps"][current.key] = run_step(run, current, context, say, used)
                except Skip as skip:
                    skipped.append(str(skip))
                    say.info(str(skip))
                finally:
                    save_calls(run, current, records, used)
            breaker.record_success(current.connection)
    except mapping.MappingError as exc:
        say.error(f"Mapping failed: {exc}")
        failures.finish(
            run,
            RunStatus.FAILED,
            error_kind=ErrorKind.VALIDATION,
            error=str(exc),
            error_hint=failures.HINTS[ErrorKind.VALIDATION].format(app="the app"),
        )
        return RunStatus.FAILED
    except breaker.BreakerOpen as exc:
        delay = exc.retry_after or 5
        say.warning(f"Waiting {int(delay) + 1} s: {exc.message}")
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.RETRYING,
            attempt=F("attempt") - 1,
            lease_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            error=exc.message,
            error_kind=ErrorKind.TRANSIENT,
        )
        transaction.on_commit(lambda: enqueue(run.pk, delay))
        return RunStatus.RETRYING
    except ConnectorError as exc:
        return failures.failed_call(run, current, exc, say, enqueue)
    except Exception as exc:  # a bug of ours: fail the run visibly, keep the worker alive
        log.exception("run %s crashed", run.pk)
        say.error(f"Internal error: {type(exc).__name__}: {exc}")
        failures.finish(
            run,
            RunStatus.FAILED,
            error_kind=ErrorKind.PERMANENT,
            error=f"Internal error ({type(exc).__name__}); see the worker log.",
            error_hint="This is a Syncdeck bug; retrying may not help.",
        )
        return RunStatus.FAILED
    status = RunStatus.SKIPPED if skipped and len(skipped) == len(steps) else RunStatus.SUCCEEDED
    say.info("Succeeded" if status == RunStatus.SUCCEEDED else "Nothing to do")
    failures.finish(run, status, error="", error_kind="", error_hint="")
    return status
