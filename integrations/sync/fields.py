"""Field by field: what changed on which side since the last sync, and who wins.

Each record link keeps, per field, the value each app had when both last agreed
(`synced_values["fields"]`, named as HighLevel names the field, each side under "left" /
"right" like the link). A run of a flow reads the source record (fresh) and the target
record (now) and tells, for each mapped field:

- only the source changed → the field is written;
- only the target changed → left alone (the other direction's flow carries it back);
- both changed to the same value → nothing to write, the agreement is remembered;
- both changed to different values → a conflict, settled by the integration's policy for
  that field: HighLevel wins, the other app wins, the newest change wins (each app's own
  modified time), or "ask me" (the conflict waits in the queue, the field is not written).

A conflict never blocks the record: the other fields are written at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.models import (
    Conflict,
    ConflictStatus,
    Connection,
    Direction,
    Flow,
    LedgerEntry,
    LedgerKind,
    Policy,
    RecordLink,
    Run,
    Step,
    SyncPolicy,
)
from integrations.sync import links, mapping

STATE = "fields"
MODIFIED_KEYS = ("dateUpdated", "updated_at", "updatedAt", "modified_at", "date_updated")
_SIMPLE = re.compile(r"^trigger\.([A-Za-z0-9_]+)$")
_KEY = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass
class Field:
    name: str  # as HighLevel names it (policies and filters use it)
    source_key: str
    target_key: str
    rule: dict[str, Any]


def split(
    rules: list[dict[str, Any]], source: Connection, target: Connection
) -> tuple[list[Field], list[dict[str, Any]]]:
    """Rules copying one source field to one target field (tracked per field), and the rest."""
    tracked: list[Field] = []
    other: list[dict[str, Any]] = []
    for rule in rules:
        src = rule.get("source")
        plain = (
            isinstance(src, str)
            and not rule.get("sources")
            and "const" not in rule
            and not rule.get("ref")
            and not rule.get("only_on")
        )
        match = _SIMPLE.match(src) if plain and isinstance(src, str) else None
        target_key = str(rule.get("target") or "")
        if match and _KEY.match(target_key):
            name = target_key if target.kind == "ghl" and source.kind != "ghl" else match[1]
            tracked.append(Field(name, match[1], target_key, rule))
        else:
            other.append(rule)
    return tracked, other


def state_of(link: RecordLink) -> dict[str, dict[str, Any]]:
    return dict((link.synced_values or {}).get(STATE) or {})


def save_state(link: RecordLink, updates: dict[str, dict[str, Any]]) -> None:
    """Merge `updates` into the link's field state (other keys, e.g. tags, are kept)."""
    if not updates:
        return
    with transaction.atomic():
        values = (
            RecordLink.objects.select_for_update()
            .filter(pk=link.pk)
            .values_list("synced_values", flat=True)
            .first()
        ) or {}
        merged = {**(values.get(STATE) or {}), **updates}
        values = {**values, STATE: merged}
        RecordLink.objects.filter(pk=link.pk).update(synced_values=values)
    link.synced_values = values


def policy_of(flow: Flow) -> SyncPolicy:
    found = SyncPolicy.objects.filter(integration_id=flow.integration_id).first()
    return found or SyncPolicy(integration_id=flow.integration_id)


def same(a: Any, b: Any) -> bool:
    return links._normal(a) == links._normal(b)


def modified_at(record: dict[str, Any] | None) -> datetime | None:
    """The record's own modified time, as its app reports it (ISO text or epoch ms)."""
    if not isinstance(record, dict):
        return None
    for key in MODIFIED_KEYS:
        value = record.get(key)
        if isinstance(value, int | float) and value > 0:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
        if isinstance(value, str) and value:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def reverse_step(flow: Flow, target: Connection) -> Step | None:
    """The record step of this integration that writes this object type the other way."""
    return (
        Step.objects.filter(
            flow__integration_id=flow.integration_id,
            flow__object_type=flow.object_type,
            flow__source=target,
            flow__enabled=True,
            connection=flow.source,
            record_mode=Step.RecordMode.SYNC,
        )
        .select_related("flow", "connection")
        .order_by("flow__pk", "position")
        .first()
    )


def two_way(side: links.Side, flow: Flow, target: Connection) -> bool:
    """Field by field only where both apps write this record (a one-way flow's source is
    the only authority: nothing to detect) and the link knows each field's agreed value."""
    return bool(state_of(side.link)) and reverse_step(flow, target) is not None


def carry(step: Step | None, from_key: str, to_key: str, value: Any) -> Any:
    """`value` of field `from_key` as `step`'s mapping writes it to `to_key` (MISSING: no rule)."""
    if step is None:
        return mapping.MISSING
    for rule in step.mapping or []:
        if rule.get("source") == f"trigger.{from_key}" and rule.get("target") == to_key:
            out = mapping.apply([rule], {"trigger": {from_key: value}})
            return out.get(to_key, None)
    return mapping.MISSING


@dataclass
class Plan:
    write: dict[str, Any] = field(default_factory=dict)  # to the target
    back: dict[str, Any] = field(default_factory=dict)  # to the source (target won)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)  # field state updates
    target_changes: dict[str, list[Any]] = field(default_factory=dict)
    source_changes: dict[str, list[Any]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plan(
    *,
    flow: Flow,
    target: Connection,
    link: RecordLink,
    source_is_left: bool,
    tracked: list[Field],
    source_record: dict[str, Any],
    payload: dict[str, Any],
    target_record: dict[str, Any] | None,
    policy: SyncPolicy,
    back_step: Step | None,
) -> Plan:
    """Decide, field by field, what this run writes where (nothing is written here)."""
    src, tgt = ("left", "right") if source_is_left else ("right", "left")
    state = state_of(link)
    out = Plan()
    source_is_ghl = flow.source.kind == "ghl"
    target_is_ghl = target.kind == "ghl"
    for f in tracked:
        direction = policy.direction_for(f.name)
        if (direction == Direction.FROM_GHL and not source_is_ghl) or (
            direction == Direction.TO_GHL and not target_is_ghl
        ):
            continue  # a one-way field never flows this way
        known = state.get(f.name)
        src_now = source_record.get(f.source_key)
        mapped = payload.get(f.target_key)
        if known is None:  # a field new to the mapping: the source's value is written
            out.write[f.target_key] = mapped
            out.state[f.name] = {src: src_now, tgt: mapped}
            before = (target_record or {}).get(f.target_key)
            if not same(before, mapped):
                out.target_changes[f.target_key] = [before, mapped]
            continue
        if same(src_now, known.get(src)):
            continue  # the source did not change this field
        tgt_now = target_record.get(f.target_key) if target_record is not None else None
        tgt_changed = target_record is not None and not same(tgt_now, known.get(tgt))
        if not tgt_changed:
            out.write[f.target_key] = mapped
            out.state[f.name] = {src: src_now, tgt: mapped}
            out.target_changes[f.target_key] = [known.get(tgt), mapped]
            continue
        if same(mapped, tgt_now):
            out.state[f.name] = {src: src_now, tgt: tgt_now}  # both made the same change
            continue
        # Both changed, to different values: a conflict.
        chosen = policy.policy_for(f.name) if direction == Direction.BOTH else "source"
        winner = _winner(chosen, source_is_ghl, target_is_ghl, source_record, target_record)
        conflict = {
            "field": f.name,
            "src_key": f.source_key,
            "tgt_key": f.target_key,
            "base": known,
            "src_value": src_now,
            "tgt_value": tgt_now,
            "policy": chosen if chosen in Policy.values else Policy.GHL,
            "winner": "",
        }
        if winner == "source":
            out.write[f.target_key] = mapped
            out.state[f.name] = {src: src_now, tgt: mapped}
            out.target_changes[f.target_key] = [tgt_now, mapped]
            conflict["winner"] = src
            out.notes.append(f"{f.name} changed in both apps; {flow.source}'s value wins")
        elif winner == "target":
            back = carry(back_step, f.target_key, f.source_key, tgt_now)
            if back is mapping.MISSING:  # no flow writes the other way: each keeps its own
                out.state[f.name] = {src: src_now, tgt: tgt_now}
            else:
                out.back[f.source_key] = back
                out.state[f.name] = {src: back, tgt: tgt_now}
                out.source_changes[f.source_key] = [src_now, back]
            conflict["winner"] = tgt
            out.notes.append(f"{f.name} changed in both apps; {target}'s value wins")
        else:
            out.notes.append(
                f"{f.name} changed in both apps ({src_now!r} / {tgt_now!r}); "
                "waiting in the conflict queue"
            )
        out.conflicts.append(conflict)
    return out


def _winner(
    chosen: str,
    source_is_ghl: bool,
    target_is_ghl: bool,
    source_record: dict[str, Any],
    target_record: dict[str, Any] | None,
) -> str:
    """ "source", "target" or "" (ask)."""
    if chosen == "source":
        return "source"
    if chosen == Policy.ASK:
        return ""
    if chosen == Policy.GHL:
        return "target" if target_is_ghl and not source_is_ghl else "source"
    if chosen == Policy.OTHER:
        return "source" if target_is_ghl and not source_is_ghl else "target"
    # Newest: each app's own modified time; a tie or an unknown time goes to the source
    # (the change this run was started for).
    src_at, tgt_at = modified_at(source_record), modified_at(target_record)
    if src_at and tgt_at and tgt_at > src_at:
        return "target"
    return "source"


def record_conflicts(
    run: Run,
    flow: Flow,
    link: RecordLink,
    source_is_left: bool,
    found: list[dict[str, Any]],
    source_record: dict[str, Any],
    target_record: dict[str, Any] | None,
) -> list[Conflict]:
    """Open conflicts (one per field, updated when seen again) and settled ones, kept."""
    src, tgt = ("left", "right") if source_is_left else ("right", "left")
    src_at = modified_at(source_record) or timezone.now()
    tgt_at = modified_at(target_record) or timezone.now()
    saved = []
    for item in found:
        values = {
            f"{src}_field": item["src_key"],
            f"{tgt}_field": item["tgt_key"],
            f"{src}_value": item["src_value"],
            f"{tgt}_value": item["tgt_value"],
            f"{src}_changed_at": src_at,
            f"{tgt}_changed_at": tgt_at,
            f"{src}_run": run,
        }
        if not item["winner"]:
            with transaction.atomic():
                conflict = (
                    Conflict.objects.select_for_update()
                    .filter(link=link, field=item["field"], status=ConflictStatus.OPEN)
                    .first()
                )
                if conflict is not None:
                    for name, value in values.items():
                        setattr(conflict, name, value)
                    conflict.save()
                    saved.append(conflict)
                    continue
        conflict = Conflict.objects.create(
            workspace_id=link.workspace_id,
            integration_id=flow.integration_id,
            link=link,
            field=item["field"],
            base_value=item["base"],
            status=ConflictStatus.AUTO if item["winner"] else ConflictStatus.OPEN,
            policy=item["policy"],
            winner=item["winner"],
            resolved_value=item["src_value"]
            if item["winner"] == src
            else item["tgt_value"]
            if item["winner"]
            else None,
            resolved_at=timezone.now() if item["winner"] else None,
            resolution_run=run if item["winner"] else None,
            **{f"{tgt}_run": run},
            **values,
        )
        LedgerEntry.objects.create(
            workspace_id=link.workspace_id,
            link=link,
            run=run,
            kind=LedgerKind.CONFLICT,
            app=None,
            record_id="",
            changes={item["field"]: [item["src_value"], item["tgt_value"]]},
            note=(
                f"{item['field']} changed in both apps; "
                + (
                    f"{Policy(conflict.policy).label.lower()}"
                    if item["winner"]
                    else "waiting in the conflict queue"
                )
            )[:300],
        )
        saved.append(conflict)
    return saved
