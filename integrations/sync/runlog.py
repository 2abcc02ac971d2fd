"""What a run records: its log lines (written in one INSERT when the run stops) and one
RunStep per outside call, named by the catalog operation that made it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from integrations.connectors import http
from integrations.models import Run, RunEvent, RunStep, Step


class RunLog:
    """A run's log lines, kept in memory and written in one INSERT when the run stops."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.lines: list[RunEvent] = []

    def _add(self, level: str, message: str) -> None:
        self.lines.append(
            RunEvent(run=self.run, level=level, message=message, created=timezone.now())
        )

    def info(self, message: str) -> None:
        self._add(RunEvent.Level.INFO, message)

    def warning(self, message: str) -> None:
        self._add(RunEvent.Level.WARNING, message)

    def error(self, message: str) -> None:
        self._add(RunEvent.Level.ERROR, message)

    def flush(self) -> None:
        if self.lines:
            RunEvent.objects.bulk_create(self.lines)
            self.lines = []


def save_calls(
    run: Run, step: Step, records: list[http.CallRecord], used: list[str], key: str = ""
) -> None:
    """One RunStep per outside call, named by the catalog operation that made it."""
    names = used if len(used) == len(records) else [step.operation] * len(records)
    RunStep.objects.bulk_create(
        RunStep(
            run=run,
            attempt=run.attempt,
            step_key=(key or step.key)[:40],
            operation=operation,
            method=r.method,
            url=r.url,
            request_headers=r.request_headers,
            request_body=r.request_body,
            response_status=r.status,
            response_body=r.response_body,
            duration_ms=r.duration_ms,
            error=r.error[:500],
        )
        for r, operation in zip(records, names, strict=True)
    )


class Tracked:
    """A connector that notes which catalog operation each call used (for RunSteps)."""

    def __init__(self, connector: Any, used: list[str]) -> None:
        self.connector = connector
        self.used = used

    def call(self, operation_id: str, **kwargs: Any) -> Any:
        self.used.append(operation_id)
        return self.connector.call(operation_id, **kwargs)
