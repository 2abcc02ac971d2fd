"""Per-app, per-resource rate limits (FACTS §4), shared across processes via the DB.

Fixed windows: a burst window of ``interval`` ms and a UTC-day window. Each request bumps
both counters with one atomic ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` each
(SQLite >= 3.35 and PostgreSQL), so gunicorn workers see the same numbers.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from sandbox.models import SandboxRateCounter, SandboxSettings

DAY_MS = 86_400_000


@dataclass
class Limits:
    max: int
    interval_ms: int
    daily: int


@dataclass
class Verdict:
    limits: Limits
    burst_count: int
    daily_count: int
    retry_after: int

    @property
    def allowed(self) -> bool:
        return self.burst_count <= self.limits.max and self.daily_count <= self.limits.daily

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Daily": str(self.limits.daily),
            "X-RateLimit-Daily-Remaining": str(max(0, self.limits.daily - self.daily_count)),
            "X-RateLimit-Interval-Milliseconds": str(self.limits.interval_ms),
            "X-RateLimit-Max": str(self.limits.max),
            "X-RateLimit-Remaining": str(max(0, self.limits.max - self.burst_count)),
            # Read by the official SDK (FACTS §4); its unit is undocumented: here the end
            # of the daily window in epoch milliseconds.
            "X-RateLimit-Daily-Reset": str((int(time.time() * 1000) // DAY_MS + 1) * DAY_MS),
        }


def current_limits(row: SandboxSettings | None = None) -> Limits:
    row = row or SandboxSettings.load()
    return Limits(
        max=row.rate_max or int(getattr(settings, "SANDBOX_GHL_RATE_MAX", 100)),
        interval_ms=row.rate_interval_ms
        or int(getattr(settings, "SANDBOX_GHL_RATE_INTERVAL_MS", 10_000)),
        daily=row.rate_daily or int(getattr(settings, "SANDBOX_GHL_RATE_DAILY", 200_000)),
    )


def _bump(key: str, kind: str, window: int) -> int:
    qn = connection.ops.quote_name
    table = qn(SandboxRateCounter._meta.db_table)
    # Identifiers come from model metadata (quoted); values are parameters.
    sql = (
        f"INSERT INTO {table} ({qn('key')}, {qn('kind')}, {qn('window')}, {qn('count')}) "  # noqa: S608
        f"VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT ({qn('key')}, {qn('kind')}, {qn('window')}) "
        f"DO UPDATE SET {qn('count')} = {table}.{qn('count')} + 1 "
        f"RETURNING {qn('count')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, kind, window])
        return int(cursor.fetchone()[0])


def hit(key: str, row: SandboxSettings | None = None) -> Verdict:
    limits = current_limits(row)
    now = int(time.time() * 1000)
    burst_window = now // limits.interval_ms
    day = now // DAY_MS
    burst = _bump(key, "burst", burst_window)
    daily = _bump(key, "daily", day)
    if daily > limits.daily:
        retry_ms = (day + 1) * DAY_MS - now
    else:
        retry_ms = (burst_window + 1) * limits.interval_ms - now
    if random.random() < 0.005:  # occasional cleanup of old windows
        SandboxRateCounter.objects.filter(kind="burst", window__lt=burst_window - 2).delete()
        SandboxRateCounter.objects.filter(kind="daily", window__lt=day - 2).delete()
    return Verdict(limits, burst, daily, max(1, math.ceil(retry_ms / 1000)))


def reset() -> int:
    deleted, _ = SandboxRateCounter.objects.all().delete()
    return deleted
