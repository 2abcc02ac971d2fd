"""Numbers for the monitoring overview and its charts, and the health rules.

Every number comes from a few GROUP BY queries on indexed columns (runs by workspace and
created time, or by workspace and status), grouped by flow and mapped to integrations in
Python, so the cost does not grow with the number of integrations. Time buckets are
portable SQL on SQLite and PostgreSQL alike: TruncHour for the cards' 24 h sparklines,
conditional counts per bucket for the charts.

Health of an integration, first rule that matches wins:

- needs re-auth: one of its connections has status "needs re-auth";
- paused: the integration is paused;
- failing: a connection is failing, a circuit breaker is open, or at least half of its
  finished runs of the last 24 h failed (with at least FAILING_MIN_RUNS of them);
- degraded: some runs of the last 24 h failed (at least DEGRADED_ERROR_RATE of them), or
  the backlog (queued + retrying runs) reached BACKLOG_DEGRADED;
- healthy: anything else (also an integration that has not run yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, Count, Max, Q, QuerySet, Value, When
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from integrations.models import (
    Connection,
    ConnectionStatus,
    Flow,
    Integration,
    IntegrationStatus,
    Run,
    RunStatus,
    RunStep,
    Step,
)

FAILING_ERROR_RATE = 0.5
FAILING_MIN_RUNS = 3
DEGRADED_ERROR_RATE = 0.05
BACKLOG_DEGRADED = 100
# Read at most this many recent GHL calls for the budget gauge (all workspaces' calls).
MAX_RECENT_CALLS = 20_000
DAY = timedelta(hours=24)


class Health:
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    FAILING = "failing"
    PAUSED = "paused"
    NEEDS_REAUTH = "needs_reauth"

    LABELS = {
        HEALTHY: "Healthy",
        DEGRADED: "Degraded",
        FAILING: "Failing",
        PAUSED: "Paused",
        NEEDS_REAUTH: "Needs re-auth",
    }


# A chart's ranges: how far back, and the bucket size.
RANGES: dict[str, tuple[timedelta, str]] = {
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "day"),
    "30d": (timedelta(days=30), "day"),
}
SERIES = ("succeeded", "retried", "failed")

# Which series a run counts in: a run that failed is "failed"; one that needed another
# attempt (automatic, or an operator's retry) is "retried"; a first-try success is
# "succeeded"; queued, running, skipped and cancelled runs are not charted.
_SERIES_CASE = Case(
    When(status=RunStatus.FAILED, then=Value("failed")),
    When(
        Q(status=RunStatus.RETRYING)
        | Q(status=RunStatus.SUCCEEDED, attempt__gt=1)
        | Q(status=RunStatus.SUCCEEDED, trigger="retry"),
        then=Value("retried"),
    ),
    When(status=RunStatus.SUCCEEDED, then=Value("succeeded")),
    default=Value(""),
    output_field=CharField(),
)


@dataclass
class Bucket:
    start: datetime
    succeeded: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.retried + self.failed


@dataclass
class Counts:
    """Runs of the last 24 h by outcome."""

    succeeded: int = 0
    failed: int = 0
    total: int = 0

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed

    @property
    def error_rate(self) -> float | None:
        """Failed / (succeeded + failed); None when nothing finished."""
        return self.failed / self.finished if self.finished else None


@dataclass
class IntegrationStats:
    integration: Integration
    flows: list[Flow] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    flow_counts: dict[int, Counts] = field(default_factory=dict)
    buckets: list[Bucket] = field(default_factory=list)
    backlog: int = 0
    last_success: datetime | None = None
    last_error: Run | None = None
    ghl_calls: int | None = None  # GHL calls in the last rate interval (None: no GHL app)
    health: str = Health.HEALTHY
    reasons: list[str] = field(default_factory=list)

    @property
    def health_label(self) -> str:
        return Health.LABELS[self.health]

    @property
    def error_percent(self) -> int | None:
        rate = self.counts.error_rate
        return None if rate is None else round(rate * 100)

    @property
    def ghl_budget(self) -> int:
        return int(settings.GHL_RATE_LIMIT_MAX)

    @property
    def ghl_percent(self) -> int:
        return min(100, round(100 * (self.ghl_calls or 0) / max(1, self.ghl_budget)))


@dataclass
class Attention:
    kind: str  # failing_flow | needs_reauth | breaker_open | paused
    title: str
    detail: str
    link: str = ""


# --- time buckets -----------------------------------------------------------------------


def bucket_starts(range_key: str, now: datetime | None = None) -> tuple[list[datetime], str]:
    """The chart's bucket start times, oldest first, and the unit ("hour" or "day")."""
    span, unit = RANGES[range_key]
    now = timezone.localtime(now or timezone.now())
    if unit == "hour":
        last = now.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
        count = int(span / step)
    else:
        last = now.replace(hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(days=1)
        count = span.days
    return [last - step * i for i in range(count - 1, -1, -1)], unit


def _bucketed(runs: QuerySet[Run], unit: str, since: datetime, *by: str) -> QuerySet[Any]:
    trunc = TruncHour if unit == "hour" else TruncDay
    return (
        runs.filter(created__gte=since)
        .order_by()
        .annotate(bucket=trunc("created"), series=_SERIES_CASE)
        .values(*by, "bucket", "series")
        .annotate(n=Count("id"))
    )


def runs_over_time(
    workspace: Any,
    range_key: str = "24h",
    *,
    integration: Integration | None = None,
    now: datetime | None = None,
) -> tuple[list[Bucket], str]:
    """Succeeded / retried / failed runs per hour (24 h) or per day (7 d, 30 d).

    One query: a conditional count per bucket, grouped by series. Plain comparisons on
    `created` are several times cheaper on SQLite than a Trunc per row (a Python function
    there), and they are the same on PostgreSQL.
    """
    starts, unit = bucket_starts(range_key, now)
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    ends = [*starts[1:], starts[-1] + step]
    runs = Run.objects.filter(workspace=workspace, created__gte=starts[0], created__lt=ends[-1])
    if integration is not None:
        runs = runs.filter(flow__integration=integration)
    counts = {
        f"b{i}": Count("id", filter=Q(created__gte=start, created__lt=end))
        for i, (start, end) in enumerate(zip(starts, ends, strict=True))
    }
    buckets = [Bucket(start) for start in starts]
    rows = runs.order_by().annotate(series=_SERIES_CASE).values("series").annotate(**counts)
    for row in rows:
        if row["series"]:
            for i, bucket in enumerate(buckets):
                setattr(bucket, row["series"], row[f"b{i}"])
    return buckets, unit


def _normalise(value: datetime) -> datetime:
    # SQLite hands back what Trunc gives in the current time zone; make both comparable.
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return timezone.localtime(value)


# --- the overview -----------------------------------------------------------------------


def overview(workspace: Any, now: datetime | None = None) -> list[IntegrationStats]:
    """One IntegrationStats per integration of the workspace, with its health."""
    now = now or timezone.now()
    integrations = list(Integration.objects.filter(workspace=workspace).order_by("name", "pk"))
    if not integrations:
        return []
    stats = {i.pk: IntegrationStats(integration=i) for i in integrations}
    flows = list(Flow.objects.filter(integration__workspace=workspace).order_by("pk"))
    flow_to_integration = {f.pk: f.integration_id for f in flows}
    for flow in flows:
        stats[flow.integration_id].flows.append(flow)
        stats[flow.integration_id].flow_counts[flow.pk] = Counts()

    # Connections: flows' sources and steps' targets.
    used: dict[int, set[int]] = {pk: set() for pk in stats}
    for flow in flows:
        used[flow.integration_id].add(flow.source_id)
    steps = Step.objects.filter(flow__integration__workspace=workspace).values_list(
        "flow_id", "connection_id", "record_mode"
    )
    deleting: set[int] = set()
    for flow_id, connection_id, record_mode in steps:
        used[flow_to_integration[flow_id]].add(connection_id)
        if record_mode == Step.RecordMode.DELETE:
            deleting.add(flow_id)
    for flow in flows:
        # Deleting flows act on deletion events only: the overview offers no "Run now".
        flow.event_only = flow.pk in deleting  # type: ignore[attr-defined]
    connections = Connection.objects.in_bulk({c for ids in used.values() for c in ids})
    for pk, ids in used.items():
        stats[pk].connections = sorted(
            (connections[c] for c in ids if c in connections), key=lambda c: c.pk
        )

    runs = Run.objects.filter(workspace=workspace).order_by()
    starts, _ = bucket_starts("24h", now)
    index = {start: i for i, start in enumerate(starts)}
    for item in stats.values():
        item.buckets = [Bucket(start) for start in starts]

    # 24 h: runs by flow, hour and series (chart and counts from one query).
    for row in _bucketed(runs, "hour", starts[0], "flow_id"):
        integration_id = flow_to_integration.get(row["flow_id"])
        if integration_id is None:
            continue
        item = stats[integration_id]
        position = index.get(_normalise(row["bucket"]))
        if position is not None and row["series"]:
            bucket = item.buckets[position]
            setattr(bucket, row["series"], getattr(bucket, row["series"]) + row["n"])
    # Error rate counts every run of the last 24 h, whatever its series.
    by_status = (
        runs.filter(created__gte=now - DAY).values("flow_id", "status").annotate(n=Count("id"))
    )
    for row in by_status:
        integration_id = flow_to_integration.get(row["flow_id"])
        if integration_id is None:
            continue
        for counts in (
            stats[integration_id].counts,
            stats[integration_id].flow_counts[row["flow_id"]],
        ):
            counts.total += row["n"]
            if row["status"] == RunStatus.SUCCEEDED:
                counts.succeeded += row["n"]
            elif row["status"] == RunStatus.FAILED:
                counts.failed += row["n"]

    backlog = (
        runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RETRYING])
        .values("flow_id")
        .annotate(n=Count("id"))
    )
    for row in backlog:
        if row["flow_id"] in flow_to_integration:
            stats[flow_to_integration[row["flow_id"]]].backlog += row["n"]

    # The newest success: usually within the last day (a cheap index range); only flows
    # without one there are looked up over all time.
    succeeded = runs.filter(status=RunStatus.SUCCEEDED)
    last_success = list(
        succeeded.filter(created__gte=now - DAY).values("flow_id").annotate(last=Max("created"))
    )
    missing = set(flow_to_integration) - {row["flow_id"] for row in last_success}
    if missing:
        last_success += list(
            succeeded.filter(flow_id__in=missing).values("flow_id").annotate(last=Max("created"))
        )
    for row in last_success:
        item = stats.get(flow_to_integration.get(row["flow_id"], -1))
        if item is not None and (item.last_success is None or row["last"] > item.last_success):
            item.last_success = row["last"]

    newest_failures = list(
        runs.filter(status=RunStatus.FAILED).values("flow_id").annotate(last=Max("created"))
    )
    if newest_failures:
        wanted = Q()
        for row in newest_failures:
            wanted |= Q(flow_id=row["flow_id"], created=row["last"])
        for run in runs.filter(wanted, status=RunStatus.FAILED).only(
            "flow_id", "created", "error", "error_kind", "error_hint", "code"
        ):
            item = stats.get(flow_to_integration.get(run.flow_id, -1))
            if item is not None and (
                item.last_error is None or run.created > item.last_error.created
            ):
                item.last_error = run

    _ghl_usage(workspace, stats, flow_to_integration, now)
    for item in stats.values():
        item.health, item.reasons = health(item, now)
    return list(stats.values())


def _ghl_usage(
    workspace: Any,
    stats: dict[int, IntegrationStats],
    flow_to_integration: dict[int, int],
    now: datetime,
) -> None:
    """GHL calls made by each integration's runs during the last rate interval."""
    with_ghl = [pk for pk, item in stats.items() if any(c.kind == "ghl" for c in item.connections)]
    if not with_ghl:
        return
    for pk in with_ghl:
        stats[pk].ghl_calls = 0
    interval = timedelta(seconds=float(settings.GHL_RATE_LIMIT_INTERVAL_SECONDS))
    # Two small queries rather than a join: the steps of the last few seconds first (a
    # handful of rows), then which of the workspace's flows their runs belong to.
    run_ids = list(
        RunStep.objects.filter(
            created__gte=now - interval, url__startswith=settings.GHL_API_BASE_URL
        )
        .order_by()
        .values_list("run_id", flat=True)[:MAX_RECENT_CALLS]
    )
    if not run_ids:
        return
    run_flow = dict(
        Run.objects.filter(pk__in=set(run_ids), workspace=workspace).values_list("pk", "flow_id")
    )
    for run_id in run_ids:
        item = stats.get(flow_to_integration.get(run_flow.get(run_id, -1), -1))
        if item is not None and item.ghl_calls is not None:
            item.ghl_calls += 1


def health(item: IntegrationStats, now: datetime | None = None) -> tuple[str, list[str]]:
    """The integration's health state and the reasons for it, in words."""
    now = now or timezone.now()
    reauth = [c for c in item.connections if c.status == ConnectionStatus.NEEDS_REAUTH]
    if reauth:
        return Health.NEEDS_REAUTH, [f"{c} needs to be reconnected" for c in reauth]
    if item.integration.status == IntegrationStatus.PAUSED:
        return Health.PAUSED, [item.integration.paused_reason or "paused"]
    reasons = []
    for c in item.connections:
        if c.status == ConnectionStatus.FAILING:
            reasons.append(f"{c} is failing: {c.last_error or 'its last check failed'}")
        if c.breaker_open_until and c.breaker_open_until > now:
            reasons.append(
                f"calls to {c} are held until {timezone.localtime(c.breaker_open_until):%H:%M}"
            )
    rate = item.counts.error_rate
    if rate is not None and rate >= FAILING_ERROR_RATE and item.counts.finished >= FAILING_MIN_RUNS:
        reasons.append(f"{round(rate * 100)}% of runs failed in the last 24 h")
    if reasons:
        return Health.FAILING, reasons
    if rate is not None and item.counts.failed and rate >= DEGRADED_ERROR_RATE:
        reasons.append(f"{round(rate * 100)}% of runs failed in the last 24 h")
    if item.backlog >= BACKLOG_DEGRADED:
        reasons.append(f"{item.backlog} runs are waiting")
    if reasons:
        return Health.DEGRADED, reasons
    return Health.HEALTHY, []


def attention(
    workspace: Any, items: list[IntegrationStats], now: datetime | None = None
) -> list[Attention]:
    """What an operator should look at first: failing flows, re-auth, open breakers, pauses."""
    now = now or timezone.now()
    out: list[Attention] = []
    for item in items:
        for flow in item.flows:
            counts = item.flow_counts.get(flow.pk, Counts())
            rate = counts.error_rate
            if (
                rate is not None
                and rate >= FAILING_ERROR_RATE
                and counts.finished >= FAILING_MIN_RUNS
            ):
                out.append(
                    Attention(
                        "failing_flow",
                        f"{item.integration.name} · {flow.name} is failing",
                        f"{counts.failed} of {counts.finished} runs failed in the last 24 h.",
                        f"/runs/?flow={flow.code}&status=failed",
                    )
                )
    connections = Connection.objects.filter(workspace=workspace).filter(
        Q(status=ConnectionStatus.NEEDS_REAUTH) | Q(breaker_open_until__gt=now)
    )
    connections = sorted(connections, key=lambda c: c.pk)
    for c in connections:
        if c.status == ConnectionStatus.NEEDS_REAUTH:
            out.append(
                Attention(
                    "needs_reauth",
                    f"{c} needs to be reconnected",
                    c.last_error or "The app refused its credentials.",
                    "/connections/",
                )
            )
    for c in connections:
        if c.breaker_open_until and c.breaker_open_until > now:
            out.append(
                Attention(
                    "breaker_open",
                    f"Calls to {c} are on hold",
                    f"Too many failures in a row; calls resume at "
                    f"{timezone.localtime(c.breaker_open_until):%H:%M}.",
                    "/connections/",
                )
            )
    for item in items:
        if item.integration.status == IntegrationStatus.PAUSED:
            out.append(
                Attention(
                    "paused",
                    f"{item.integration.name} is paused",
                    f"{item.integration.paused_reason or 'Paused'}; "
                    f"{item.backlog} run{'s' if item.backlog != 1 else ''} waiting.",
                    f"#integration-{item.integration.code}",
                )
            )
    return out
