"""Import batches: rows stored first, then written to HighLevel by workers, chunk by chunk.

Each row gets a result (created, updated or failed, with a message). Writing is an upsert
(HighLevel matches the contact by email or phone), so a chunk redelivered after a killed
worker writes its rows again without duplicating contacts; a note is added only when the
contact does not have the same note already.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations.connectors.base import ConnectorError, CsvObject
from integrations.csvio import columns as cols
from integrations.csvio.parse import Column, parse_csv
from integrations.locks import LockTimeout, named_lock
from integrations.models import Connection, ImportBatch, ImportRow, Workspace
from integrations.sync import mapping

log = logging.getLogger(__name__)
CHUNK = 100  # rows per worker task
ATTEMPTS = 4  # per row, for transient failures (timeouts, 5xx, 429)
MAX_WAIT = 30.0  # seconds a row waits for a rate-limit window before it is failed


def csv_object(connection: Connection, name: str) -> CsvObject:
    objects = type(connection.connector).csv_objects
    if name not in objects:
        raise LookupError(f"{connection} has no CSV object {name!r}")
    return objects[name]


def create_batch(
    workspace: Workspace,
    user: Any,
    source: Connection,
    target: Connection,
    object_name: str,
    filename: str,
    data: bytes,
) -> ImportBatch:
    """Parse the file (CSVError when malformed) and store its rows as a draft batch."""
    csv_object(source, object_name)
    parsed = parse_csv(data)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            workspace=workspace,
            kind=ImportBatch.Kind.IMPORT,
            source=source,
            target=target,
            object_name=object_name,
            filename=filename[:200],
            columns=[[c.key, c.header] for c in parsed.columns],
            total=len(parsed.rows),
            created_by=user if getattr(user, "pk", None) else None,
        )
        ImportRow.objects.bulk_create(
            [ImportRow(batch=batch, line=line, data=values) for line, values in parsed.rows],
            batch_size=500,
        )
    return batch


def batch_columns(batch: ImportBatch) -> list[Column]:
    return [Column(key, header) for key, header in batch.columns]


def start(batch: ImportBatch, choices: list[cols.Choice]) -> None:
    """Fix the mapping (ValueError with a sentence when it cannot work) and queue the rows."""
    if batch.status != ImportBatch.Status.DRAFT:
        raise ValueError("this import has started already")
    batch.mapping = cols.build(choices, batch_columns(batch))
    batch.status = ImportBatch.Status.QUEUED
    batch.started_at = timezone.now()
    batch.save(update_fields=["mapping", "status", "started_at"])
    lines = list(batch.rows.order_by("line").values_list("line", flat=True))
    chunks = [
        (lines[i], lines[min(i + CHUNK, len(lines)) - 1]) for i in range(0, len(lines), CHUNK)
    ]
    transaction.on_commit(lambda: _send(batch.pk, chunks))


def resume(batch: ImportBatch) -> int:
    """Send the chunks of the rows still pending again (a task lost with a broker that was
    down); rows written already are not written twice. Returns how many rows are pending."""
    if batch.kind != ImportBatch.Kind.IMPORT or batch.status not in (
        ImportBatch.Status.QUEUED,
        ImportBatch.Status.RUNNING,
    ):
        raise ValueError("only an import that has started and not finished can be resumed")
    lines = list(
        batch.rows.filter(status=ImportRow.Status.PENDING)
        .order_by("line")
        .values_list("line", flat=True)
    )
    chunks = [
        (lines[i], lines[min(i + CHUNK, len(lines)) - 1]) for i in range(0, len(lines), CHUNK)
    ]
    transaction.on_commit(lambda: _send(batch.pk, chunks))
    if not lines:
        refresh_counts(batch.pk)
    return len(lines)


def _send(batch_id: int, chunks: list[tuple[int, int]]) -> None:
    from integrations.tasks import csv_import_chunk

    for first, last in chunks:
        try:
            csv_import_chunk.delay(batch_id, first, last)
        except (OperationalError, OSError):
            log.exception("could not send a chunk of CSV import %s", batch_id)


def process_chunk(batch_id: int, first: int, last: int) -> int:
    """Write the pending rows of lines first..last; returns how many were written.

    Safe twice: a chunk is locked while it runs, and written rows are not pending."""
    try:
        with named_lock(f"csv:{batch_id}:{first}", timeout=3600, wait=1):
            return _process(batch_id, first, last)
    except LockTimeout:
        return 0


def _process(batch_id: int, first: int, last: int) -> int:
    batch = ImportBatch.objects.select_related("target").get(pk=batch_id)
    if batch.finished:
        return 0
    ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING
    )
    writer = RowWriter(batch)
    done = 0
    rows = batch.rows.filter(
        status=ImportRow.Status.PENDING, line__gte=first, line__lte=last
    ).order_by("line")
    for row in rows:
        status, message, target_id = writer.write(row.data)
        ImportRow.objects.filter(pk=row.pk).update(
            status=status, message=message[:500], target_id=target_id[:100]
        )
        done += 1
        if done % 10 == 0:
            refresh_counts(batch.pk)
    refresh_counts(batch.pk)
    return done


def refresh_counts(batch_id: int) -> None:
    """Counts from the rows (never incremented: a redelivered chunk cannot double them);
    the batch is done when no row is pending."""
    counts = ImportRow.objects.filter(batch_id=batch_id).aggregate(
        created=Count("pk", filter=Q(status=ImportRow.Status.CREATED)),
        updated=Count("pk", filter=Q(status=ImportRow.Status.UPDATED)),
        failed=Count("pk", filter=Q(status=ImportRow.Status.FAILED)),
        pending=Count("pk", filter=Q(status=ImportRow.Status.PENDING)),
    )
    fields: dict[str, Any] = {
        "created_count": counts["created"],
        "updated_count": counts["updated"],
        "failed_count": counts["failed"],
    }
    ImportBatch.objects.filter(pk=batch_id).update(**fields)
    if not counts["pending"]:
        ImportBatch.objects.filter(
            pk=batch_id, status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING]
        ).update(status=ImportBatch.Status.DONE, finished_at=timezone.now())


class RowWriter:
    """Writes one row to HighLevel: upsert the contact, then its note."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        self.connector = batch.target.connector
        self.rules = list(batch.mapping.get("rules") or [])
        self.note_columns = list(batch.mapping.get("note_columns") or [])
        self.headers = dict(batch.columns)

    def write(self, data: dict[str, Any]) -> tuple[str, str, str]:
        """(status, message, HighLevel id) for one row."""
        try:
            body = mapping.apply(self.rules, {"trigger": data})
        except mapping.MappingError as exc:
            return ImportRow.Status.FAILED, f"mapping: {exc}", ""
        if not body.get("email") and not body.get("phone"):
            return (
                ImportRow.Status.FAILED,
                "no email or phone: HighLevel could not tell whether this contact exists, "
                "so it was not imported",
                "",
            )
        try:
            answer = self._call("upsert-contact", body=body)
            contact_id = str(((answer or {}).get("contact") or {}).get("id") or "")
            if not contact_id:
                return ImportRow.Status.FAILED, "HighLevel answered without a contact id", ""
            new = bool((answer or {}).get("new"))
            note = self._note(data)
            extra = ""
            if note and self._add_note(contact_id, note, new):
                extra = " with a note"
        except ConnectorError as exc:
            return ImportRow.Status.FAILED, exc.message, ""
        if new:
            return ImportRow.Status.CREATED, f"created contact{extra}", contact_id
        return ImportRow.Status.UPDATED, f"updated contact{extra}", contact_id

    def _note(self, data: dict[str, Any]) -> str:
        lines = [
            f"{self.headers.get(key, key)}: {data[key]}"
            for key in self.note_columns
            if str(data.get(key) or "").strip()
        ]
        if not lines:
            return ""
        label = self.batch.source.get_kind_display()
        return f"From {label} ({self.batch.filename or 'CSV import'}):\n" + "\n".join(lines)

    def _add_note(self, contact_id: str, note: str, new: bool) -> bool:
        if not new:
            existing = self._call("get-all-notes", contactId=contact_id) or {}
            if any(n.get("body") == note for n in existing.get("notes") or []):
                return False
        self._call("create-note", contactId=contact_id, body={"body": note})
        return True

    def _call(self, operation: str, **kwargs: Any) -> Any:
        waited = 0.0
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self.connector.call(operation, **kwargs)
            except ConnectorError as exc:
                if exc.permanent or attempt == ATTEMPTS:
                    raise
                delay = min(exc.retry_after or 0.5 * 2**attempt, MAX_WAIT - waited)
                if delay <= 0:
                    raise
                waited += delay
                time.sleep(delay)
        raise AssertionError("unreachable")


REPORT_HEADERS = ["line", "result", "message", "highlevel_id"]


def report_csv(batch: ImportBatch) -> str:
    """The per-row report: line, result, message, HighLevel id, then the row as uploaded."""
    out = io.StringIO()
    writer = csv.writer(out)
    headers = [header for _, header in batch.columns]
    writer.writerow(REPORT_HEADERS + headers)
    for row in batch.rows.order_by("line").iterator(chunk_size=1000):
        writer.writerow(
            [row.line, row.status, row.message, row.target_id]
            + [safe_cell(str(row.data.get(key, ""))) for key, _ in batch.columns]
        )
    return out.getvalue()


_NUMBER = re.compile(r"[+-][\d\s().-]*")


def safe_cell(value: str) -> str:
    """Neutralise a value a spreadsheet would run as a formula (CSV injection); phone
    numbers and negative numbers stay as they are."""
    if value[:1] in ("=", "@", "\t", "\r") or (
        value[:1] in ("+", "-") and not _NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
