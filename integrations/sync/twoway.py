"""The record step of a linked record, field by field (see fields.py for the rules).

The engine hands a record step here when its record is linked and the link knows each
field's last agreed values. This reads the source record fresh (events arrive late and out
of order) and the target record now, writes only what changed on the source side, settles
or queues conflicts, and keeps the link's field state, fingerprints and the ledger.
"""

from __future__ import annotations

from typing import Any

from integrations.connectors import http
from integrations.connectors.base import ConnectorError
from integrations.models import Connection, Flow, LedgerKind, RecordLink, Run, Step
from integrations.sync import fields, ledger, links, mapping
from integrations.sync.runlog import RunLog

OTHER = "~other"  # field state of rules not tracked per field: {target key: last written}


def read(connection: Connection, object_type: str, record_id: str, used: list[str]) -> Any:
    """The record as `connection`'s app has it now (None: it cannot say, or it is gone)."""
    getter = getattr(connection.connector, "get_record", None)
    if getter is None:
        return None
    calls = http._recorder.get()
    before = len(calls) if calls is not None else 0
    try:
        record = getter(object_type, record_id)
    except NotImplementedError:
        return None
    except ConnectorError as exc:
        if exc.status == 404:
            return None
        raise
    finally:  # name each call it made (none when it could not read without a parent id)
        made = len(calls) - before if calls is not None else 0
        used.extend([f"read {object_type} from {connection}"[:100]] * made)
    return record if isinstance(record, dict) else None


def orientation(link: RecordLink, source: Connection, source_id: str) -> bool:
    return link.left_id == source.pk and link.left_record == source_id


def remember(
    run: Run,
    flow: Flow,
    step: Step,
    link: RecordLink,
    source_id: str,
    source_record: dict[str, Any],
    written: dict[str, Any],
    rules: list[dict[str, Any]],
    *,
    created: bool,
    before: dict[str, Any] | None = None,
) -> None:
    """After a whole-record write (a create, or a link without field state yet)."""
    src, tgt = ("left", "right") if orientation(link, flow.source, source_id) else ("right", "left")
    tracked, other = fields.split(rules, flow.source, step.connection)
    state: dict[str, dict[str, Any]] = {
        f.name: {src: source_record.get(f.source_key), tgt: written.get(f.target_key)}
        for f in tracked
        if f.target_key in written or f.source_key in source_record
    }
    other_keys = links.top_keys([str(r.get("target") or "") for r in other])
    state[OTHER] = {key: written.get(key) for key in other_keys if key in written}
    fields.save_state(link, state)
    before = before or {}
    changes = {
        key: [before.get(key), value]
        for key, value in written.items()
        if not fields.same(before.get(key), value)
    }
    ledger.write(
        run,
        link,
        LedgerKind.CREATED if created else LedgerKind.UPDATED,
        step.connection,
        link.right_record if src == "left" else link.left_record,
        changes,
    )


def update(
    run: Run,
    flow: Flow,
    step: Step,
    side: links.Side,
    context: dict[str, Any],
    rules: list[dict[str, Any]],
    params: dict[str, Any],
    connector: Any,
    say: RunLog,
    used: list[str],
    source_keys: list[str],
) -> Any:
    # One run at a time plans and writes one linked record, whichever direction it runs in
    # (each reads the field state the other left).
    from integrations.sync.engine import Skip

    with links.link_lock(side.link):
        side.link.refresh_from_db()
        # The event may have raced the run whose write it reports: that run held the lock
        # and has just recorded what it wrote, so look again before planning.
        if side.source_unchanged(context.get("trigger") or {}) and side.last_write_was_to_source:
            raise Skip(f"{step.key}: this event is our own last write coming back (echo); skipped")
        return _update(
            run, flow, step, side, context, rules, params, connector, say, used, source_keys
        )


def _update(
    run: Run,
    flow: Flow,
    step: Step,
    side: links.Side,
    context: dict[str, Any],
    rules: list[dict[str, Any]],
    params: dict[str, Any],
    connector: Any,
    say: RunLog,
    used: list[str],
    source_keys: list[str],
) -> Any:
    from integrations.sync.engine import Skip

    app = step.connection
    link = side.link
    source_id = link.left_record if side.source_is_left else link.right_record
    target_id = side.target_record
    src, tgt = ("left", "right") if side.source_is_left else ("right", "left")
    rules = [r for r in rules if r.get("only_on") != "create"]
    tracked, other = fields.split(rules, flow.source, app)

    fresh = read(flow.source, flow.object_type, source_id, used)
    source_record = fresh if fresh is not None else (context.get("trigger") or {})
    payload = mapping.apply(rules, {**context, "trigger": source_record})
    target_record = read(app, flow.object_type, target_id, used)
    policy = fields.policy_of(flow)
    back_step = fields.reverse_step(flow, app)
    plan = fields.plan(
        flow=flow,
        target=app,
        link=link,
        source_is_left=side.source_is_left,
        tracked=tracked,
        source_record=source_record,
        payload=payload,
        target_record=target_record,
        policy=policy,
        back_step=back_step,
    )
    # Rules not tracked per field (constants, references, several sources): written when
    # their value differs from what was last written and from what the target has now.
    last_other = fields.state_of(link).get(OTHER) or {}
    other_keys = links.top_keys([str(r.get("target") or "") for r in other])
    for key in other_keys:
        if key not in payload:
            continue
        value = payload[key]
        if fields.same(value, last_other.get(key)):
            continue
        if target_record is not None and fields.same(value, target_record.get(key)):
            continue
        plan.write[key] = value
        plan.target_changes[key] = [(target_record or {}).get(key, last_other.get(key)), value]

    if plan.write:  # constants and references go with every update, as they always did
        for key in other_keys:
            if key in payload and key not in plan.write:
                plan.write[key] = payload[key]
    result: Any = None
    if plan.write:
        operation = step.update_operation or step.operation
        result = connector.call(
            operation, body=plan.write, **{step.target_id_param: target_id}, **params
        )
        say.info(
            f"{step.key}: updated {flow.object_type} {target_id} in {app}: "
            + ", ".join(sorted(plan.write))
        )
    if plan.back and back_step is not None:
        back_params = {
            k: v
            for k, v in (back_step.params or {}).items()
            if not k.startswith("_") and not isinstance(v, dict)
        }
        used.append(back_step.update_operation or back_step.operation)
        flow.source.connector.call(
            back_step.update_operation or back_step.operation,
            body=plan.back,
            **{back_step.target_id_param: source_id},
            **back_params,
        )
        say.info(
            f"{step.key}: wrote {app}'s value back to {flow.object_type} {source_id} in "
            f"{flow.source}: " + ", ".join(sorted(plan.back))
        )
    for note in plan.notes:
        say.warning(f"{step.key}: {note}")

    updates = dict(plan.state)
    if plan.write:
        updates[OTHER] = {
            **last_other,
            **{k: v for k, v in plan.write.items() if k in other_keys},
        }
    fields.save_state(link, updates)
    fields.record_conflicts(
        run, flow, link, side.source_is_left, plan.conflicts, source_record, target_record
    )
    ledger.write(run, link, LedgerKind.UPDATED, app, target_id, plan.target_changes)
    ledger.write(run, link, LedgerKind.UPDATED, flow.source, source_id, plan.source_changes)

    # The fingerprints say what both sides agreed on (not a pending change of either side),
    # so the other direction's event still finds its change.
    state = fields.state_of(link)
    source_state = dict(source_record)
    target_state = dict(payload)
    for f in tracked:
        agreed = state.get(f.name) or {}
        if src in agreed:
            source_state[f.source_key] = agreed[src]
        if tgt in agreed:
            target_state[f.target_key] = agreed[tgt]
    if plan.write or plan.back or plan.state or plan.conflicts:
        links.record(
            run=run,
            object_type=flow.object_type,
            source=flow.source,
            source_record=source_id,
            source_data=source_state,
            source_keys=source_keys,
            target=app,
            target_record=target_id,
            written=target_state,
            label=run.record_label,
            side=side,
        )
    if not plan.write and not plan.back:
        why = "; ".join(plan.notes) or (
            f"unchanged since the last sync (no field changed in {flow.source}); no write needed"
        )
        raise Skip(f"{step.key}: {why}")
    return result if result is not None else {"id": target_id}
