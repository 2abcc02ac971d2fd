"""The conflict queue: an operator picks a side per field (or types a value) and a normal
run writes the choice to both apps, then remembers it as the field's agreed value.

`choose()` records the choice and queues one run per record (trigger "resolve", linked
from each conflict); the engine hands that run to `apply()`, so the writes are claimed,
recorded call by call, retried and alerted on like any run's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import (
    AuditEntry,
    Conflict,
    ConflictStatus,
    Connection,
    Flow,
    LedgerKind,
    RecordLink,
    Run,
    Step,
)
from integrations.sync import fields, ledger, links, mapping
from integrations.sync.runlog import RunLog, save_calls

TRIGGER = "resolve"
SIDES = ("ghl", "other", "left", "right", "value")


def side_step(integration_id: int, object_type: str, source: Connection, target: Connection):  # type: ignore[no-untyped-def]
    """The record step of this integration writing `object_type`s from `source` to `target`."""
    return (
        Step.objects.filter(
            flow__integration_id=integration_id,
            flow__object_type=object_type,
            flow__source=source,
            connection=target,
            record_mode=Step.RecordMode.SYNC,
        )
        .select_related("flow", "connection")
        .order_by("-flow__enabled", "flow__pk", "position")
        .first()
    )


def _winner_side(conflict: Conflict, side: str) -> str:
    if side in ("ghl", "other"):
        ghl_is_left = conflict.link.left.kind == "ghl"
        return "left" if (side == "ghl") == ghl_is_left else "right"
    return side


def choose(conflicts: QuerySet[Conflict], *, side: str, user: Any, value: Any = None) -> list[Run]:
    """Record the operator's choice on each open conflict; queue one run per record."""
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}")
    from integrations.sync.dispatch import create_run

    runs: list[Run] = []
    with transaction.atomic():
        by_link: dict[int, list[Conflict]] = defaultdict(list)
        chosen = (
            conflicts.select_for_update()
            .filter(status=ConflictStatus.OPEN, resolution_run__isnull=True)
            .select_related("link__left", "link__right", "integration__workspace")
            .order_by("pk")
        )
        for conflict in chosen:
            winner = _winner_side(conflict, side)
            conflict.winner = winner
            conflict.resolved_value = value if winner == "value" else conflict.value_of(winner)
            conflict.resolved_by = user if getattr(user, "is_authenticated", False) else None
            by_link[conflict.link_id].append(conflict)
        for items in by_link.values():
            link = items[0].link
            flow = _flow_for(items[0].integration_id, link)
            if flow is None:
                continue
            source_record = (
                link.left_record if flow.source_id == link.left_id else link.right_record
            )
            run = create_run(
                flow,
                {"id": source_record, "_resolve": [c.pk for c in items]},
                trigger=TRIGGER,
                event_type="conflict resolved",
            )
            if run is None:
                continue
            Run.objects.filter(pk=run.pk).update(record_label=link.label[:200])
            for conflict in items:
                conflict.resolution_run = run
                conflict.save(
                    update_fields=["winner", "resolved_value", "resolved_by", "resolution_run"]
                )
            runs.append(run)
        if runs:
            workspace = runs[0].workspace
            AuditEntry.record(
                workspace,
                user,
                "conflict.resolved",
                f"{sum(len(v) for v in by_link.values())} conflicts",
                side=side,
                runs=len(runs),
            )
    return runs


def _flow_for(integration_id: int, link: RecordLink) -> Flow | None:
    """An enabled flow of the integration syncing this record (a disabled one never runs)."""
    for source, target in ((link.left, link.right), (link.right, link.left)):
        step = side_step(integration_id, link.object_type, source, target)
        if step is not None and step.flow.enabled:
            return step.flow
    return None


def _values(conflict: Conflict, to_right: Step | None, to_left: Step | None) -> tuple[Any, Any]:
    """(value for the left app, value for the right app), each as that app stores it."""
    if conflict.winner == "value":
        return conflict.resolved_value, conflict.resolved_value
    if conflict.winner == "left":
        left = conflict.left_value
        right = fields.carry(to_right, conflict.left_field, conflict.right_field, left)
        return left, left if right is mapping.MISSING else right
    right = conflict.right_value
    left = fields.carry(to_left, conflict.right_field, conflict.left_field, right)
    return (right if left is mapping.MISSING else left), right


def _write(
    step: Step | None, app: Connection, record_id: str, body: dict[str, Any], used: list[str]
) -> None:
    if not body:
        return
    if step is None:
        raise ConnectorError(
            f"no flow of this integration writes this record to {app}; "
            "the chosen value cannot be written there",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )
    operation = step.update_operation or step.operation
    params = {
        k: v
        for k, v in (step.params or {}).items()
        if not k.startswith("_") and not isinstance(v, dict)
    }
    used.append(operation)
    app.connector.call(operation, body=body, **{step.target_id_param: record_id}, **params)


def apply(run: Run, say: RunLog) -> None:
    """Write the chosen values of the run's conflicts to both apps, then settle them."""
    ids = [int(i) for i in (run.payload or {}).get("_resolve") or [] if str(i).isdigit()]
    items = list(
        Conflict.objects.filter(pk__in=ids, status=ConflictStatus.OPEN)
        .exclude(winner="")
        .select_related("link__left", "link__right", "resolved_by")
        .order_by("pk")
    )
    if not items:
        say.info("Nothing to resolve: these conflicts are settled already")
        return
    link = items[0].link
    with links.link_lock(link):
        _apply(run, say, link, items)


def _apply(run: Run, say: RunLog, link: RecordLink, items: list[Conflict]) -> None:
    to_right = side_step(run.flow.integration_id, link.object_type, link.left, link.right)
    to_left = side_step(run.flow.integration_id, link.object_type, link.right, link.left)
    left_body: dict[str, Any] = {}
    right_body: dict[str, Any] = {}
    chosen: dict[int, tuple[Any, Any]] = {}
    for conflict in items:
        left, right = _values(conflict, to_right, to_left)
        chosen[conflict.pk] = (left, right)
        left_body[conflict.left_field] = left
        right_body[conflict.right_field] = right
    step = run.flow.steps.order_by("position").first()
    used: list[str] = []
    with http.recording() as records:
        try:
            _write(to_left, link.left, link.left_record, left_body, used)
            _write(to_right, link.right, link.right_record, right_body, used)
        finally:
            if step is not None:
                save_calls(run, step, records, used, key="resolve")
    now = timezone.now()
    state = {}
    for conflict in items:
        left, right = chosen[conflict.pk]
        state[conflict.field] = {"left": left, "right": right}
        Conflict.objects.filter(pk=conflict.pk).update(
            status=ConflictStatus.RESOLVED, resolved_at=now, resolution_run=run
        )
        who = conflict.resolved_by
        note = f"{conflict.field}: conflict resolved" + (f" by {who}" if who else "")
        for app, record_id, key, before, after in (
            (link.left, link.left_record, conflict.left_field, conflict.left_value, left),
            (link.right, link.right_record, conflict.right_field, conflict.right_value, right),
        ):
            ledger.write(
                run,
                link,
                LedgerKind.RESOLVED,
                app,
                record_id,
                {key: [before, after]} if not fields.same(before, after) else {},
                actor=who,
                note=note,
            )
        say.info(f"{conflict.field}: wrote {left!r} to {link.left} and {right!r} to {link.right}")
    fields.save_state(link, state)
    RecordLink.objects.filter(pk=link.pk).update(last_run=run, last_synced_at=now)
