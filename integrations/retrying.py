"""Retry all, sized first: how many runs, which apps they call, how many calls against each
app's rate budget and how long that takes at the budget's pace; then queued by a worker in
chunks (a RetryBatch), followed while it runs and cancellable.

Calls per run come from history: the outside calls (RunSteps) of each flow's recent
finished runs, per step and so per app; a flow without history counts its steps (a
record step looks the record up, then writes it: two calls; any other step one).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from integrations.models import (
    AuditEntry,
    Connection,
    Flow,
    RetryBatch,
    Run,
    RunStatus,
    RunStep,
    Step,
)
from integrations.runs import retryable
from integrations.sync.dispatch import create_run

# The most runs one Retry all takes (the oldest first); the rest wait for the next one.
MAX_RUNS = 10_000
# Runs queued per chunk: a cancel stops the batch between two chunks.
CHUNK = 50
# Recent finished runs per flow read to learn its calls per run.
SAMPLE_RUNS = 20
# How long the Failures page shows a finished batch.
RECENT = timedelta(days=1)


@dataclass
class AppLoad:
    connection: Connection
    calls: int = 0
    budget: tuple[int, float] | None = None

    @property
    def seconds(self) -> float | None:
        """At the budget's pace, if nothing else spends it; None without a budget."""
        if self.budget is None:
            return None
        rate, per_seconds = self.budget
        return self.calls / rate * per_seconds if rate else None

    @property
    def duration(self) -> str:
        return duration_text(self.seconds) if self.budget else "—"

    @property
    def budget_text(self) -> str:
        if self.budget is None:
            return "no published limit"
        rate, per_seconds = self.budget
        return f"{rate} calls per {per_seconds:g} s"


@dataclass
class Estimate:
    runs: int = 0
    truncated: bool = False
    flows: list[tuple[Flow, int]] = field(default_factory=list)
    apps: list[AppLoad] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(app.calls for app in self.apps)

    @property
    def seconds(self) -> float | None:
        """The slowest app sets the pace (apps' budgets are spent in parallel)."""
        known = [app.seconds for app in self.apps if app.seconds is not None]
        return max(known) if known else None


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "unknown (no rate limit published)"
    if seconds < 60:
        return f"about {max(1, round(seconds))} s"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def calls_per_run(flow: Flow, steps: list[Step]) -> dict[int, float]:
    """Connection id → outside calls one run of the flow makes there (history first)."""
    recent = list(
        Run.objects.filter(flow=flow, status=RunStatus.SUCCEEDED)
        .order_by("-created")
        .values_list("pk", flat=True)[:SAMPLE_RUNS]
    )
    by_key = Counter(
        dict(
            RunStep.objects.filter(run_id__in=recent)
            .values("step_key")
            .annotate(n=Count("pk"))
            .values_list("step_key", "n")
        )
    )
    out: dict[int, float] = defaultdict(float)
    for step in steps:
        if recent:
            out[step.connection_id] += by_key.get(step.key, 0) / len(recent)
        else:
            out[step.connection_id] += 2 if step.record_mode == Step.RecordMode.SYNC else 1
    return out


def _selected(runs: QuerySet[Run]) -> QuerySet[Run]:
    return retryable(runs).order_by("created", "pk")


def estimate(runs: QuerySet[Run]) -> Estimate:
    """What retrying these runs costs, per flow and per app; reads only our database."""
    per_flow = Counter(
        dict(
            _selected(runs)
            .order_by()
            .values("flow")
            .annotate(n=Count("pk"))
            .values_list("flow", "n")
        )
    )
    total = sum(per_flow.values())
    result = Estimate(runs=min(total, MAX_RUNS), truncated=total > MAX_RUNS)
    if not total:
        return result
    flows = Flow.objects.select_related("integration").in_bulk(list(per_flow))
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in Step.objects.filter(flow__in=list(per_flow)).select_related("connection"):
        steps[step.flow_id].append(step)
    loads: dict[int, AppLoad] = {}
    scale = result.runs / total  # a truncated batch takes the oldest runs; scale evenly
    for flow_id, count in sorted(per_flow.items(), key=lambda kv: -kv[1]):
        flow = flows[flow_id]
        result.flows.append((flow, count))
        connections = {s.connection_id: s.connection for s in steps[flow_id]}
        for connection_id, calls in calls_per_run(flow, steps[flow_id]).items():
            load = loads.get(connection_id)
            if load is None:
                connection = connections[connection_id]
                load = loads[connection_id] = AppLoad(
                    connection, budget=connection.connector.rate_budget()
                )
            load.calls += round(calls * count * scale)
    result.apps = sorted(loads.values(), key=lambda load: -load.calls)
    return result


def start(runs: QuerySet[Run], user: Any, workspace: Any) -> RetryBatch:
    """Record the batch (the failed runs it will retry); a worker queues them."""
    ids = list(_selected(runs).values_list("pk", flat=True)[:MAX_RUNS])
    batch = RetryBatch.objects.create(
        workspace=workspace, created_by=user, source_runs=ids, total=len(ids)
    )
    AuditEntry.record(workspace, user, "run.retried_all", f"{len(ids)} runs", batch=str(batch.code))
    return batch


def queue(batch_id: int, on_chunk: Callable[[], None] | None = None) -> int:
    """Queue the batch's retries chunk by chunk, stopping when it is cancelled; returns
    how many this call queued. Idempotent: a run already retried is skipped."""
    batch = RetryBatch.objects.get(pk=batch_id)
    made = 0
    ids = list(batch.source_runs)
    for start_at in range(batch.queued, len(ids), CHUNK):
        if RetryBatch.objects.filter(pk=batch_id, status=RetryBatch.Status.CANCELLED).exists():
            return made
        chunk = ids[start_at : start_at + CHUNK]
        with transaction.atomic():
            for run in retryable(Run.objects.filter(pk__in=chunk)).select_related(
                "flow__integration", "webhook_event"
            ):
                if create_run(
                    run.flow,
                    run.payload,
                    trigger="retry",
                    event_type=run.event_type,
                    webhook_event=run.webhook_event,
                    retry_of=run,
                ):
                    made += 1
            RetryBatch.objects.filter(pk=batch_id).update(queued=start_at + len(chunk))
        if on_chunk is not None:
            on_chunk()
    RetryBatch.objects.filter(pk=batch_id, status=RetryBatch.Status.QUEUEING).update(
        status=RetryBatch.Status.QUEUED, queued=len(ids), finished=timezone.now()
    )
    return made


def cancel(batch: RetryBatch, user: Any) -> int:
    """Stop queueing and cancel the retries still waiting; returns how many were cancelled.
    Retries already running finish; finished ones stay as they are."""
    with transaction.atomic():
        RetryBatch.objects.filter(pk=batch.pk).exclude(status=RetryBatch.Status.CANCELLED).update(
            status=RetryBatch.Status.CANCELLED, finished=timezone.now()
        )
        cancelled = Run.objects.filter(
            retry_of_id__in=batch.source_runs,
            trigger="retry",
            status__in=[RunStatus.QUEUED, RunStatus.RETRYING],
            created__gte=batch.created,
        ).update(status=RunStatus.CANCELLED, finished_at=timezone.now())
        AuditEntry.record(
            batch.workspace, user, "run.retry_cancelled", f"{cancelled} runs", batch=str(batch.code)
        )
    return cancelled


@dataclass
class Progress:
    batch: RetryBatch
    counts: dict[str, int]

    @property
    def finished(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("succeeded", "failed", "skipped", "cancelled"))

    @property
    def active(self) -> bool:
        """Still moving: queueing, or retries waiting or running."""
        if self.batch.status == RetryBatch.Status.QUEUEING:
            return True
        return any(self.counts.get(s, 0) for s in ("queued", "running", "retrying"))

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.batch.total) if self.batch.total else 100


def progress(batch: RetryBatch) -> Progress:
    """The batch's retries by status, in one query."""
    rows = (
        Run.objects.filter(
            retry_of_id__in=batch.source_runs, trigger="retry", created__gte=batch.created
        )
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    batch.refresh_from_db()
    return Progress(batch, {row["status"]: row["n"] for row in rows})


def recent(workspace: Any) -> RetryBatch | None:
    """The workspace's latest batch of the last day, for the Failures page."""
    return (
        RetryBatch.objects.filter(
            workspace=workspace, created__gte=timezone.now() - timedelta(days=1)
        )
        .order_by("-created")
        .first()
    )
