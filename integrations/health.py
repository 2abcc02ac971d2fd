"""Liveness and readiness, for load balancers and orchestrators.

`/healthz` says only that the process answers. `/readyz` checks what a request or a run
needs: the database, the broker, Redis (when configured) and the scheduler. The scheduler
is proven by a heartbeat: celery beat sends `integrations.tasks.beat_heartbeat` every
`BEAT_HEARTBEAT_SECONDS`, a worker runs it and stamps the cache, so a stale stamp means
beat, the broker or every worker is down — runs would not be polled, reaped or retried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "syncdeck:beat-heartbeat"
HEARTBEAT_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def stamp_heartbeat(now: float | None = None) -> None:
    cache.set(HEARTBEAT_KEY, now if now is not None else time.time(), timeout=None)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def check_broker(timeout: float = 2.0) -> Check:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            transport = conn.transport_cls
    except Exception as exc:
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True, str(transport))


def check_redis(timeout: float = 2.0) -> Check | None:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        client.ping()
    except Exception as exc:
        return Check("redis", False, type(exc).__name__)
    return Check("redis", True, "ping")


def check_heartbeat(now: float | None = None) -> Check:
    try:
        stamp = cache.get(HEARTBEAT_KEY)
    except Exception as exc:
        return Check("scheduler", False, f"cache unreadable: {type(exc).__name__}")
    if stamp is None:
        return Check("scheduler", False, "no heartbeat yet: is celery beat (and a worker) running?")
    age = (now if now is not None else time.time()) - float(stamp)
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return Check("scheduler", False, f"last heartbeat {age:.0f} s ago")
    return Check("scheduler", True, f"last heartbeat {age:.0f} s ago")


def readiness() -> list[Check]:
    checks = [check_database(), check_broker()]
    redis_check = check_redis()
    if redis_check is not None:
        checks.append(redis_check)
    checks.append(check_heartbeat())
    return checks
