"""Bulk writes are never a surprise.

"Run now" and a backfill can queue thousands of runs. Before any of them is queued, the
operator sees what they will do — how many records, and per app and operation how many
creates, updates and calls, and how many are unchanged — and confirms. Deleting flows
never run in bulk: they act on deletion events only, one record at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from integrations.connectors.base import ConnectorError
from integrations.models import Flow, PollCursor, RecordLink, Step, TriggerKind
from integrations.sync import links
from integrations.sync.destructive import destructive_steps

# The most records one bulk action lists (and so queues).
MAX_RECORDS = 10_000


class BulkRefused(Exception):
    """This flow may not run in bulk; the message says why, for the operator."""


def check_allowed(flow: Flow) -> None:
    """Raise BulkRefused when this flow must never act on many records at once."""
    deleting = destructive_steps(flow)
    if deleting:
        names = ", ".join(step.operation for step in deleting)
        raise BulkRefused(
            f"“{flow.name}” deletes records ({names}). A deleting flow runs only on a "
            "deletion event, one record at a time: it cannot be run now, backfilled or "
            "scheduled, since that would delete every record it lists."
        )
    event_only = flow.trigger_kind in (TriggerKind.WEBHOOK, TriggerKind.MANUAL)
    if event_only and not flow.source.connector.can_poll():
        raise BulkRefused(
            f"{flow.source} cannot list its records, so “{flow.name}” runs only on its events."
        )


def list_records(flow: Flow, *, limit: int = MAX_RECORDS) -> tuple[list[dict[str, Any]], str]:
    """The records a bulk run of this flow would take, and the cursor a poll would store.

    Polling flows read from their cursor (what "run now" polls); scheduled full syncs and
    event flows (a backfill) read every record, up to `limit`.
    """
    config = {"object": flow.object_type, **(flow.trigger_config or {})}
    cursor = ""
    if flow.trigger_kind == TriggerKind.POLL or (
        flow.trigger_kind == TriggerKind.SCHEDULE
        and flow.trigger_config.get("mode", "full") != "full"
    ):
        cursor = PollCursor.objects.filter(flow=flow).values_list("value", flat=True).first() or ""
    else:
        config["max_records"] = limit
    records, new_cursor = flow.source.connector.poll(config, cursor)
    return [r for r in records if isinstance(r, dict)][:limit], new_cursor


@dataclass
class Line:
    app: str
    operation: str
    action: str  # create | update | call | tags | unchanged
    count: int = 0


@dataclass
class Preview:
    flow: Flow
    records: int = 0
    lines: list[Line] = field(default_factory=list)
    error: str = ""
    truncated: bool = False

    @property
    def writes(self) -> int:
        return sum(line.count for line in self.lines if line.action != "unchanged")

    def _line(self, app: str, operation: str, action: str) -> Line:
        for line in self.lines:
            if (line.app, line.operation, line.action) == (app, operation, action):
                return line
        line = Line(app, operation, action)
        self.lines.append(line)
        return line


def _live_links(flow: Flow, step: Step, ids: list[str]) -> dict[str, links.Side]:
    """Source record id → its live link to the step's app, in one query."""
    source, target = flow.source, step.connection
    found: dict[str, links.Side] = {}
    rows = RecordLink.objects.filter(object_type=flow.object_type, deleted_at__isnull=True).filter(
        Q(left=source, right=target, left_record__in=ids)
        | Q(right=source, left=target, right_record__in=ids)
    )
    for link in rows:
        source_is_left = link.left_id == source.pk and link.left_record in ids
        record_id = link.left_record if source_is_left else link.right_record
        found[record_id] = links.Side(link, source_is_left=source_is_left)
    return found


def preview(flow: Flow) -> Preview:
    """What a bulk run would do, from the source's records and our links; writes nothing.

    A record whose linked fields have not changed since the last sync is "unchanged" (no
    write); a linked one that changed is an update; an unlinked one a create (or an update
    of a record found by the step's dedupe lookup, which only the run itself can tell).
    """
    result = Preview(flow)
    try:
        check_allowed(flow)
        records, _ = list_records(flow, limit=MAX_RECORDS + 1)
    except (BulkRefused, ConnectorError, NotImplementedError) as exc:
        result.error = str(exc)
        return result
    result.truncated = len(records) > MAX_RECORDS
    records = records[:MAX_RECORDS]
    result.records = len(records)
    ids = [str(r.get("id") or "") for r in records]
    for step in flow.steps.select_related("connection").order_by("position"):
        app = str(step.connection)
        if step.record_mode == Step.RecordMode.TAGS:
            result._line(app, "tags", "tags").count += len(records)
            continue
        if step.record_mode != Step.RecordMode.SYNC:
            result._line(app, step.operation, "call").count += len(records)
            continue
        known = _live_links(flow, step, ids)
        for record, record_id in zip(records, ids, strict=True):
            side = known.get(record_id)
            if side is not None and side.source_unchanged(record):
                result._line(app, "no write", "unchanged").count += 1
            elif side is not None:
                operation = step.update_operation or step.operation
                result._line(app, operation, "update").count += 1
            else:
                result._line(app, step.operation, "create").count += 1
    order = {"create": 0, "update": 1, "call": 2, "tags": 3, "unchanged": 4}
    result.lines.sort(key=lambda line: (line.app, order[line.action]))
    return result
