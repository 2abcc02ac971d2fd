"""Record identity across two apps, and the fingerprints that make writes idempotent.

A fingerprint is (field names, hash of their values). After a run writes a record to the
target, the target side's fingerprint is what was written and the source side's is the
source record's mapped fields. The next event then costs no write when nothing changed,
and our own write coming back as a webhook (an echo) is recognised and skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.locks import LockTimeout, in_flight, named_lock, wait_for_flights
from integrations.models import Connection, RecordLink, Run


def _normal(value: Any) -> Any:
    # Apps differ in how they store "nothing": null, "" and [] all mean empty.
    if value is None or value == [] or value == {}:
        return ""
    if isinstance(value, str):
        return _instant(value.strip())
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        if all(isinstance(v, str) for v in items):
            return sorted(v.casefold() for v in items)
        return items
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in sorted(value.items())}
    return value


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _instant(text: str) -> str:
    """A timestamp with a zone as one UTC form (and to the second): apps write the same
    instant as `…T10:00:00.000Z`, `…T06:00:00-04:00` or `…T10:00:00+00:00`."""
    if not _TIMESTAMP.match(text):
        return text
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    if when.tzinfo is None:
        return text
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def top_keys(paths: list[str]) -> list[str]:
    return sorted({p.split(".")[0].split("[")[0] for p in paths if p})


def fingerprint(data: dict[str, Any], keys: list[str]) -> str:
    projected = {key: _normal(data.get(key)) for key in sorted(keys)}
    return hashlib.sha256(json.dumps(projected, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Side:
    """A link seen from one flow's direction."""

    link: RecordLink
    source_is_left: bool

    @property
    def target_record(self) -> str:
        return self.link.right_record if self.source_is_left else self.link.left_record

    def keys(self, source: bool) -> list[str]:
        left = self.source_is_left == source
        return self.link.left_keys if left else self.link.right_keys

    def hash(self, source: bool) -> str:
        left = self.source_is_left == source
        return self.link.left_hash if left else self.link.right_hash

    def unchanged(self, payload: dict[str, Any]) -> bool:
        """Would writing `payload` to the target change anything we know of?"""
        keys = self.keys(source=False)
        return bool(keys) and fingerprint(payload, keys) == self.hash(source=False)

    def source_unchanged(self, source_record: dict[str, Any]) -> bool:
        """Does the source record still match what we last read from or wrote to it?"""
        keys = self.keys(source=True)
        return bool(keys) and fingerprint(source_record, keys) == self.hash(source=True)

    @property
    def last_write_was_to_source(self) -> bool:
        source_side = "left" if self.source_is_left else "right"
        return self.link.written_side == source_side


def find(
    object_type: str,
    source: Connection,
    source_record: str,
    target: Connection,
    *,
    include_deleted: bool = False,
) -> Side | None:
    """The live link of a source record to `target` (with `include_deleted`, a tombstone too)."""
    link = (
        RecordLink.objects.filter(object_type=object_type)
        .filter(
            Q(left=source, left_record=source_record, right=target)
            | Q(right=source, right_record=source_record, left=target)
        )
        .first()
    )
    if link is None or (link.deleted_at is not None and not include_deleted):
        return None
    return Side(
        link, source_is_left=link.left_id == source.pk and link.left_record == source_record
    )


def record(
    *,
    run: Run,
    object_type: str,
    source: Connection,
    source_record: str,
    source_data: dict[str, Any],
    source_keys: list[str],
    target: Connection,
    target_record: str,
    written: dict[str, Any],
    label: str = "",
    side: Side | None = None,
) -> RecordLink:
    """Create or update the link after a successful write."""
    target_keys = top_keys(list(written))
    values = {
        "left_keys": source_keys,
        "left_hash": fingerprint(source_data, source_keys),
        "right_keys": target_keys,
        "right_hash": fingerprint(written, target_keys),
        "written_side": "right",
        "last_synced_at": timezone.now(),
        "last_run": run,
        "label": label[:200],
        "deleted_at": None,
    }
    side = side or find(object_type, source, source_record, target, include_deleted=True)
    if side is not None:
        link = side.link
        if not side.source_is_left:  # store each fingerprint on its own side
            values = {
                **values,
                "left_keys": values["right_keys"],
                "left_hash": values["right_hash"],
                "right_keys": values["left_keys"],
                "right_hash": values["left_hash"],
                "written_side": "left",
            }
        for field, value in values.items():
            setattr(link, field, value)
        if side.source_is_left:
            link.right_record = target_record
        else:
            link.left_record = target_record
        link.save()
        return link
    try:
        with transaction.atomic():
            return RecordLink.objects.create(
                workspace=run.workspace,
                object_type=object_type,
                left=source,
                left_record=source_record,
                right=target,
                right_record=target_record,
                **values,
            )
    except IntegrityError:
        pass
    # Either a concurrent run linked this source record first (update that link, once), or
    # the target record is linked to another source record: two records would share it.
    side = find(object_type, source, source_record, target, include_deleted=True)
    if side is None:
        refuse_shared_target(object_type, source, source_record, target, target_record)
        raise ConnectorError(
            f"could not link {object_type} {source_record} to {target_record} in {target}",
            permanent=True,
        )
    return record(
        run=run,
        object_type=object_type,
        source=source,
        source_record=source_record,
        source_data=source_data,
        source_keys=source_keys,
        target=target,
        target_record=target_record,
        written=written,
        label=label,
        side=side,
    )


def _owner(
    object_type: str, source: Connection, source_record: str, target: Connection, target_record: str
) -> RecordLink | None:
    """The link (live or tombstone) that ties `target_record` to another source record."""
    return (
        RecordLink.objects.filter(object_type=object_type)
        .filter(
            (
                Q(left=source, right=target, right_record=target_record)
                & ~Q(left_record=source_record)
            )
            | (
                Q(right=source, left=target, left_record=target_record)
                & ~Q(right_record=source_record)
            )
        )
        .order_by("deleted_at", "pk")
        .first()
    )


def refuse_shared_target(
    object_type: str,
    source: Connection,
    source_record: str,
    target: Connection,
    target_record: str,
    *,
    found_by: str = "",
) -> None:
    """Raise a validation error when `target_record` already belongs to another record.

    A create that dedupes by email finds the target record another source record (with the
    same email) is linked to: writing it would make two source records share one target,
    each overwriting the other. The operator has to merge the duplicates or tell them apart.
    """
    link = _owner(object_type, source, source_record, target, target_record)
    if link is None or (link.deleted_at is not None and not found_by):
        return
    other = link.left_record if link.left_id == source.pk else link.right_record
    app = source.connector.label
    why = f"has the same {found_by}" if found_by else "was matched to it as well"
    fix = f"change the {found_by} of one of them" if found_by else "unlink one of them"
    raise ConnectorError(
        f"{target} {object_type} {target_record} is already linked to {app} {object_type} "
        f"{other}; {app} {object_type} {source_record} {why} — merge them in {app} or {fix}",
        permanent=True,
        kind=ErrorKind.VALIDATION,
    )


def _lease() -> float:
    return float(getattr(settings, "RUN_LEASE_SECONDS", 300))


@contextmanager
def _busy(why: str) -> Iterator[None]:
    """Waiting too long for another run is a transient error: retried in 5 s, saying why."""
    try:
        yield
    except LockTimeout as exc:
        raise ConnectorError(why, kind=ErrorKind.TRANSIENT, retry_after=5) from exc


@contextmanager
def _lock(name: str, why: str) -> Iterator[None]:
    """A named lock held for at most a run's lease (only taking it can time out)."""
    wait = float(getattr(settings, "RECORD_LOCK_WAIT_SECONDS", 30))
    with ExitStack() as stack:
        with _busy(why):
            stack.enter_context(named_lock(name, timeout=_lease(), wait=wait))
        yield


@contextmanager
def writing(
    object_type: str, source: Connection, source_record: str, target: Connection
) -> Iterator[None]:
    """One run at a time looks up, writes and links one source record in one target.

    Without it a create event and an update event of a new record, run at once, both find
    no link and both create. A Redis lock in production, a file lock embedded.
    """
    with _lock(
        f"record:{object_type}:{source.pk}:{source_record}:{target.pk}",
        f"another run is still writing {object_type} {source_record} to {target}",
    ):
        yield


def _creates(object_type: str, target: Connection) -> str:
    return f"creating:{object_type}:{target.pk}"


@contextmanager
def creating(object_type: str, target: Connection) -> Iterator[None]:
    """A run is creating a record in `target` and has not linked it yet (see `settle`)."""
    with in_flight(_creates(object_type, target), ttl=_lease()):
        yield


def settle(object_type: str, source: Connection) -> bool:
    """Before deciding a source record has no link: wait for the creates into `source`
    that were running when its event arrived. The app's webhook about a record we just
    created can come before that run has linked it, and would otherwise create its twin
    back. True when there were any (look the link up again)."""
    with _busy(f"a run is still creating a {object_type} in {source}; waiting for it to link it"):
        wait = float(getattr(settings, "RECORD_LOCK_WAIT_SECONDS", 30))
        return wait_for_flights(_creates(object_type, source), wait=wait)


@contextmanager
def link_lock(link: RecordLink) -> Iterator[None]:
    """Both directions of a two-way record take turns (their record locks differ)."""
    with _lock(
        f"link:{link.pk}", f"another run is still writing {link.object_type} {link.left_record}"
    ):
        yield


def mark_deleted(side: Side, run: Run) -> None:
    """The target record is gone: keep the link as a tombstone that claims nothing.

    Its fingerprints are cleared, so a later create flow does not mistake the record for
    "unchanged" and writes it again (reusing this row).
    """
    RecordLink.objects.filter(pk=side.link.pk).update(
        deleted_at=timezone.now(),
        last_run=run,
        last_synced_at=timezone.now(),
        left_hash="",
        right_hash="",
        written_side="",
    )


def remember(link: RecordLink, name: str, value: Any) -> None:
    """Keep a value both sides agreed on at this sync (e.g. the tag set), by name.

    Merged into the row as it is now: a run of the other direction may have saved its
    field state meanwhile (fields.save_state), and that must not be lost."""
    with transaction.atomic():
        current = (
            RecordLink.objects.select_for_update()
            .filter(pk=link.pk)
            .values_list("synced_values", flat=True)
            .first()
        )
        values = {**(current or {}), name: value}
        RecordLink.objects.filter(pk=link.pk).update(synced_values=values)
    link.synced_values = values
