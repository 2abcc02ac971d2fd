"""Run history as CSV, with the same filters as the run list, streamed row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.access import workspace_view
from dashboard.views.runs import RunFilterForm
from integrations.models import Run

COLUMNS = [
    "created",
    "integration",
    "flow",
    "trigger",
    "event",
    "record id",
    "record label",
    "status",
    "attempt",
    "duration ms",
    "error kind",
    "error",
]


class _Echo:
    """A file-like object whose write() hands the line back (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    # Spreadsheets run cells that start with these as formulas: quote them.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows(runs: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for run in runs.iterator(chunk_size=2000):
        duration = run.duration_ms
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    run.created.isoformat(),
                    run.flow.integration.name,
                    run.flow.name,
                    run.trigger,
                    run.event_type,
                    run.record_id,
                    run.record_label,
                    run.status,
                    run.attempt,
                    "" if duration is None else duration,
                    run.error_kind,
                    run.error,
                )
            ]
        )


@require_GET
@workspace_view("view")
def runs_csv(request: HttpRequest) -> StreamingHttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = RunFilterForm(workspace, request.GET)
    runs = (
        form.apply(Run.objects.filter(workspace=workspace))
        .select_related("flow__integration")
        .only(
            "created",
            "trigger",
            "event_type",
            "record_id",
            "record_label",
            "status",
            "attempt",
            "started_at",
            "finished_at",
            "error_kind",
            "error",
            "flow__name",
            "flow__integration__name",
        )
        .order_by("-created", "-pk")
    )
    response = StreamingHttpResponse(rows(runs), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="runs-{stamp}.csv"'
    return response
