"""Prometheus metrics: what happened (counters, histograms) and what is waiting (gauges).

Counters and histograms are written by whichever process saw the event (the web process
for webhooks, workers for runs and outside calls) in prometheus-client's multiprocess mode
(settings.METRICS_DIR), and summed at scrape time. Gauges about queued work and breakers
are read from the database at scrape time, so they hold for every machine at once.
Labels are bounded: app kinds, statuses, verdicts, flow ids — never a record, a URL or a
secret.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

WEBHOOKS = Counter(
    "syncdeck_webhooks_received_total",
    "Inbound webhook deliveries, by source app, what became of them and their signature.",
    ["source", "status", "verdict"],
)
RUNS = Counter(
    "syncdeck_runs_finished_total",
    "Runs that reached an end state, by status and flow id.",
    ["status", "flow"],
)
RUN_SECONDS = Histogram(
    "syncdeck_run_duration_seconds",
    "From a run's start to its end, by end status.",
    ["status"],
    buckets=_SECONDS,
)
CALLS = Counter(
    "syncdeck_outside_calls_total",
    "Calls to outside apps, by app and HTTP status (or 'error' when no answer came).",
    ["app", "status"],
)
CALL_SECONDS = Histogram(
    "syncdeck_outside_call_duration_seconds",
    "Latency of calls to outside apps, by app.",
    ["app"],
    buckets=_SECONDS,
)
RATE_WAIT = Counter(
    "syncdeck_rate_budget_wait_seconds_total",
    "Seconds calls waited for a token of an app's shared rate budget, by app.",
    ["app"],
)


def app_of(rate_key: str | None) -> str:
    """The app kind of a call, from its rate-budget key ("ghl:…", "rest:…")."""
    return (rate_key or "").partition(":")[0] or "other"


def webhook_received(source: str, status: str, verdict: str) -> None:
    WEBHOOKS.labels(source or "unknown", status or "unknown", verdict or "none").inc()


def run_finished(status: str, flow_id: int | None, seconds: float | None) -> None:
    RUNS.labels(status, str(flow_id or "")).inc()
    if seconds is not None and seconds >= 0:
        RUN_SECONDS.labels(status).observe(seconds)


def call_made(app: str, status: int | None, seconds: float) -> None:
    CALLS.labels(app, str(status) if status else "error").inc()
    CALL_SECONDS.labels(app).observe(max(0.0, seconds))


def rate_waited(app: str, seconds: float) -> None:
    if seconds > 0:
        RATE_WAIT.labels(app).inc(seconds)


class DatabaseGauges(Collector):
    """Queued and running work, the oldest queued run, open breakers: read at scrape."""

    def collect(self) -> Iterator[Any]:
        from django.db.models import Count, Min
        from django.utils import timezone

        from integrations.models import Connection, Run, RunStatus

        now = timezone.now()
        by_status = GaugeMetricFamily(
            "syncdeck_runs_in_progress",
            "Runs waiting or working now, by status (queued, running, retrying).",
            labels=["status"],
        )
        waiting = [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING]
        counts = dict(
            Run.objects.filter(status__in=waiting)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in waiting:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status
        oldest = Run.objects.filter(status=RunStatus.QUEUED).aggregate(at=Min("created"))["at"]
        yield GaugeMetricFamily(
            "syncdeck_oldest_queued_run_age_seconds",
            "Age of the oldest queued run (0 when none waits).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        breakers = GaugeMetricFamily(
            "syncdeck_breakers_open",
            "Connections whose circuit breaker is open, by app.",
            labels=["app"],
        )
        for kind, n in (
            Connection.objects.filter(breaker_open_until__gt=now)
            .values_list("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        ):
            breakers.add_metric([kind], n)
        yield breakers
        yield GaugeMetricFamily(
            "syncdeck_metrics_scraped_at_seconds", "When this scrape ran.", value=time.time()
        )


def exposition() -> bytes:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(DatabaseGauges())
    return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """A gunicorn worker exited: fold its live gauges away (counters are kept)."""
    multiprocess.mark_process_dead(pid)
