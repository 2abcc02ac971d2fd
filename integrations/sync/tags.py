"""Tags as operations on the linked record: additions and removals, never an overwrite.

A tags step compares the source record's tags with the set both apps agreed on at the last
sync (kept on the record link): what is new was added, what is gone was removed. Only that
difference is applied to the other app — with its add and remove operations where it has
them (GHL's `POST`/`DELETE /contacts/{id}/tags`), else by reading its current tags and
writing them back with the difference applied. Tags the other app has on its own are kept,
and the echo of our own write finds nothing new, so nothing ping-pongs. Tags compare
without case (GHL stores them in lower case).
"""

from __future__ import annotations

from typing import Any

from integrations.connectors.base import ConnectorError
from integrations.models import Flow, Run, Step
from integrations.sync import links, mapping

KEY = "tags"


def normal(tags: Any) -> dict[str, str]:
    """Tag list (or comma-separated text) → {casefolded: as written}."""
    if isinstance(tags, str):
        tags = [t for t in tags.split(",")]
    if not isinstance(tags, list):
        return {}
    out: dict[str, str] = {}
    for tag in tags:
        text = str(tag).strip()
        if text:
            out.setdefault(text.casefold(), text)
    return out


def difference(before: Any, now: Any) -> tuple[list[str], list[str]]:
    """(added, removed) between the agreed set `before` (None: never synced) and `now`."""
    now_map = normal(now)
    before_map = normal(before) if before is not None else {}
    added = [tag for key, tag in now_map.items() if key not in before_map]
    removed = [tag for key, tag in before_map.items() if key not in now_map]
    return added, removed


def _fresh(flow: Flow, source_id: str) -> dict[str, Any] | None:
    """The source record as its app has it now (None: the app cannot say)."""
    getter = getattr(flow.source.connector, "get_record", None)
    if getter is None:
        return None
    try:
        record = getter(flow.object_type, source_id)
    except NotImplementedError:
        return None
    return record if isinstance(record, dict) else None


def _current_tags(connector: Any, object_type: str, record_id: str) -> list[str]:
    getter = getattr(connector, "get_record", None)
    record = getter(object_type, record_id) if getter else None
    if not isinstance(record, dict):
        raise ConnectorError(
            f"the linked {object_type} {record_id} could not be read to merge its tags",
            permanent=True,
        )
    return list(normal(record.get(KEY)).values())


def apply_step(
    run: Run,
    flow: Flow,
    step: Step,
    context: dict[str, Any],
    say: Any,
    connector: Any,
    resolver: Any,
) -> dict[str, Any]:
    from integrations.sync.engine import Skip

    source_id = mapping.get_path(context, step.source_id_path)
    if source_id is mapping.MISSING or source_id in (None, ""):
        raise mapping.MappingError(f"the source record has no id at {step.source_id_path}")
    # Events arrive out of order (our own create's event after our tag write): the tags
    # that count are the record's tags now, read from the source, not the event's copy.
    current = _fresh(flow, str(source_id))
    if current is not None:
        context = {**context, "trigger": current}
    payload = mapping.apply(resolver.mapping(step.mapping, context), context)
    if KEY not in payload:
        raise Skip(f"{step.key}: this event carries no tags")
    target_id = resolver.resolve(flow.object_type, source_id)  # syncs the record first if new
    side = links.find(flow.object_type, flow.source, str(source_id), step.connection)
    if side is None:  # resolve() guarantees a link; a concurrent delete removed it
        raise Skip(f"{step.key}: {flow.object_type} {source_id} is no longer linked")
    added, removed = difference(side.link.synced_values.get(KEY), payload[KEY])
    agreed = sorted(normal(payload[KEY]).values(), key=str.casefold)
    app = step.connection
    if not added and not removed:
        links.remember(side.link, KEY, agreed)
        raise Skip(f"{step.key}: tags unchanged since the last sync")
    params = resolver.params(context)
    target = {step.target_id_param: target_id, **params}
    if step.update_operation:  # the app adds and removes tags itself
        if added:
            connector.call(step.operation, body={KEY: added}, **target)
        if removed:
            connector.call(step.update_operation, body={KEY: removed}, **target)
    else:  # tags are a field of the record: read, apply the difference, write the set
        current = _current_tags(connector.connector, flow.object_type, target_id)
        gone = {tag.casefold() for tag in removed}
        merged = [tag for tag in current if tag.casefold() not in gone]
        have = {tag.casefold() for tag in merged}
        merged += [tag for tag in added if tag.casefold() not in have]
        connector.call(step.operation, body={KEY: merged}, **target)
    links.remember(side.link, KEY, agreed)
    say.info(
        f"{step.key}: tags on {flow.object_type} {target_id} in {app}: "
        f"added {added or 'none'}, removed {removed or 'none'}"
    )
    return {"added": added, "removed": removed}
