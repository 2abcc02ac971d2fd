"""Each record's history: compact entries (only the fields that changed, before → after),
which app was written, by which run, and who retried or resolved. Kept for
`LEDGER_RETENTION_DAYS` (pruned with run history by integrations/retention.py)."""

from __future__ import annotations

from typing import Any

from integrations.models import Connection, LedgerEntry, RecordLink, Run


def _compact(value: Any) -> Any:
    text = value if isinstance(value, str) else None
    if text is not None and len(text) > 300:
        return text[:299] + "…"
    return value


def write(
    run: Run | None,
    link: RecordLink,
    kind: str,
    app: Connection | None,
    record_id: str,
    changes: dict[str, list[Any]],
    *,
    actor: Any = None,
    note: str = "",
) -> LedgerEntry | None:
    """One entry; nothing when nothing changed (and it is not a create or delete)."""
    if not changes and kind in ("updated",):
        return None
    if actor is None and run is not None and run.retry_of_id and run.trigger in ("retry", "replay"):
        note = note or (
            "retried by an operator"
            if run.trigger == "retry"
            else "replayed by an operator with the flow's current mapping"
        )
    return LedgerEntry.objects.create(
        workspace_id=link.workspace_id,
        link=link,
        run=run,
        kind=kind,
        app=app,
        record_id=str(record_id)[:100],
        changes={key: [_compact(b), _compact(a)] for key, (b, a) in changes.items()},
        actor=actor,
        note=note[:300],
    )
