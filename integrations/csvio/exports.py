"""Export HighLevel contacts to CSV (for an app's import screen), in a worker.

The listing pages through every contact of the HighLevel connection (the contact search,
oldest change first); the file is kept on the batch and downloaded from the dashboard.
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations.connectors.base import ConnectorError
from integrations.csvio.imports import csv_object, safe_cell
from integrations.models import Connection, ImportBatch, Workspace
from integrations.sync import mapping

log = logging.getLogger(__name__)
# What may be exported: HighLevel contact paths with a default header.
EXPORTABLE: tuple[tuple[str, str], ...] = (
    ("firstName", "First Name"),
    ("lastName", "Last Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("companyName", "Company"),
    ("address1", "Address"),
    ("city", "City"),
    ("state", "State"),
    ("postalCode", "Zip"),
    ("country", "Country"),
    ("tags", "Tags"),
    ("dateAdded", "Date Added"),
    ("id", "HighLevel ID"),
)


def start(
    workspace: Workspace,
    user: Any,
    source: Connection,
    target: Connection,
    object_name: str,
    columns: list[tuple[str, str]],
) -> ImportBatch:
    """Queue an export of `target`'s contacts with these (path, header) columns."""
    csv_object(source, object_name)
    allowed = {path for path, _ in EXPORTABLE}
    bad = [path for path, _ in columns if path not in allowed]
    if bad or not columns:
        raise ValueError(f"cannot export {', '.join(bad) or 'no columns'}")
    batch = ImportBatch.objects.create(
        workspace=workspace,
        kind=ImportBatch.Kind.EXPORT,
        source=source,
        target=target,
        object_name=object_name,
        filename=f"{target}-contacts.csv"[:200],
        mapping={"columns": [list(c) for c in columns]},
        status=ImportBatch.Status.QUEUED,
        started_at=timezone.now(),
        created_by=user if getattr(user, "pk", None) else None,
    )
    transaction.on_commit(lambda: _send(batch.pk))
    return batch


def _send(batch_id: int) -> None:
    from integrations.tasks import csv_export

    try:
        csv_export.delay(batch_id)
    except (OperationalError, OSError):
        log.exception("could not send CSV export %s", batch_id)


def value_of(contact: dict[str, Any], path: str) -> str:
    value = mapping.get_path(contact, path)
    if value is mapping.MISSING or value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return safe_cell(str(value))


def run(batch_id: int) -> int:
    """List every contact into the batch's file; returns how many rows were written."""
    batch = ImportBatch.objects.select_related("target").get(pk=batch_id)
    if batch.finished:
        return batch.total
    columns = [tuple(c) for c in batch.mapping.get("columns") or []]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in columns])
    count = 0
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
    config = {"object": "contact", "operation": "search-contacts-advanced", "page_size": 500}
    try:
        for page, _ in batch.target.connector.poll_pages(config, ""):
            for contact in page:
                writer.writerow([value_of(contact, path) for path, _ in columns])
            count += len(page)
            ImportBatch.objects.filter(pk=batch.pk).update(total=count, created_count=count)
    except ConnectorError as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED,
            error=f"Stopped after {count} contacts: {exc.message}"[:500],
            finished_at=timezone.now(),
        )
        return count
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.DONE,
        output=out.getvalue(),
        total=count,
        created_count=count,
        finished_at=timezone.now(),
    )
    return count
