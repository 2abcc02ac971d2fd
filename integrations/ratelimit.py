"""A request budget shared by every worker: Redis when REDIS_URL is set, else a file.

`acquire(key, rate=R, per_seconds=T, timeout=…)` waits until one of the key's R tokens is
free. A token spent at time t comes back at t + T (a token bucket whose tokens refill one
interval after they were spent, i.e. a sliding window): so no stretch of T seconds ever holds
more than R grants. A bucket that refills continuously would allow up to 2R in one of the
app's fixed windows (a full bucket at the window's start plus a window's worth of refill),
which GHL and its sandbox answer with 429.

`observe(key, info)` learns from the app's headers: when X-RateLimit-Remaining is 0 (or a
429 came back) the key is drained for the app's interval, so every worker backs off at once.

Redis: one Lua script per decision (clock from Redis TIME, so workers on several machines
agree). Without Redis (embedded, one machine): the state lives in a JSON file under LOCK_DIR,
read and written under an fcntl lock, so the web server, worker and scheduler share it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings

from integrations.connectors.base import ConnectorError, ErrorKind

# How long request() waits for a token before giving up with RATE_LIMITED.
DEFAULT_MAX_WAIT = 30.0

_PREFIX = "syncdeck:rl:"

# KEYS[1] grants (sorted set, score = grant time), KEYS[2] drained-until (float seconds).
# ARGV: rate, per_seconds, unique member. Returns "0" (granted) or the seconds to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then
  return tostring(blocked - now)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
local n = redis.call('ZCARD', KEYS[1])
if n < rate then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(per * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], n - rate, n - rate, 'WITHSCORES')
return tostring(math.max(tonumber(oldest[2]) + per - now, 0.001))
"""

# KEYS[1] drained-until. ARGV: seconds. Never shortens a longer drain.
_DRAIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local untl = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > current then
  redis.call('SET', KEYS[1], tostring(untl), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return tostring(untl)
"""


@cache
def _redis(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url)


@cache
def _scripts(url: str) -> tuple[Any, Any]:
    client = _redis(url)
    return client.register_script(_ACQUIRE), client.register_script(_DRAIN)


# --- file fallback -----------------------------------------------------------------------
@contextmanager
def _file_state(key: str) -> Iterator[dict[str, Any]]:
    """The key's state, read and written back under an exclusive fcntl lock."""
    lock_dir = settings.LOCK_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / ("ratelimit-" + hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = b""
        while chunk := os.read(fd, 65536):
            raw += chunk
        try:
            state = json.loads(raw) if raw else {}
        except ValueError:
            state = {}
        if not isinstance(state, dict):
            state = {}
        state.setdefault("grants", [])
        state.setdefault("blocked_until", 0.0)
        yield state
        data = json.dumps(state).encode()
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, data)
    finally:
        os.close(fd)  # closing releases the lock


def _try_file(key: str, rate: int, per_seconds: float) -> float:
    with _file_state(key) as state:
        now = time.time()
        blocked = float(state["blocked_until"])
        if blocked > now:
            return blocked - now
        grants = sorted(g for g in state["grants"] if g > now - per_seconds)
        if len(grants) < rate:
            grants.append(now)
            state["grants"] = grants
            return 0.0
        state["grants"] = grants
        return max(grants[len(grants) - rate] + per_seconds - now, 0.001)


def _drain_file(key: str, seconds: float) -> None:
    with _file_state(key) as state:
        state["blocked_until"] = max(float(state["blocked_until"]), time.time() + seconds)


# --- API ---------------------------------------------------------------------------------
def _try(key: str, rate: int, per_seconds: float) -> float:
    """Take a token (return 0) or return how long until one may be free."""
    if settings.REDIS_URL:
        acquire_script, _ = _scripts(settings.REDIS_URL)
        answer = acquire_script(
            keys=[_PREFIX + key + ":grants", _PREFIX + key + ":drained"],
            args=[rate, per_seconds, uuid.uuid4().hex],
        )
        return float(answer)
    return _try_file(key, rate, per_seconds)


def acquire(key: str, *, rate: int, per_seconds: float, timeout: float) -> float:
    """Block until a token for `key` is free; return the seconds waited.

    Raises ConnectorError(kind=RATE_LIMITED) at once when the wait would exceed `timeout`.
    """
    if rate < 1 or per_seconds <= 0:
        raise ValueError("rate must be >= 1 and per_seconds > 0")
    started = time.monotonic()
    deadline = started + timeout
    while True:
        wait = _try(key, rate, per_seconds)
        if wait <= 0:
            return time.monotonic() - started
        left = deadline - time.monotonic()
        if wait > left:
            raise ConnectorError(
                f"rate limit for {key.split(':')[0]}: the next request may go in {wait:.1f}s, "
                f"longer than the {timeout:g}s we wait",
                kind=ErrorKind.RATE_LIMITED,
                retry_after=wait,
            )
        time.sleep(wait)


def drain(key: str, seconds: float) -> None:
    """Grant nothing for `key` during the next `seconds` (every worker)."""
    if seconds <= 0:
        return
    if settings.REDIS_URL:
        _, drain_script = _scripts(settings.REDIS_URL)
        drain_script(keys=[_PREFIX + key + ":drained"], args=[seconds])
    else:
        _drain_file(key, seconds)


def observe(
    key: str,
    rate_limit_info: Any,
    *,
    status: int | None = None,
    retry_after: float | None = None,
    default_interval: float | None = None,
) -> None:
    """Learn from an answer: out of budget (Remaining 0, or a 429) drains the bucket.

    A 429 drains for its Retry-After (else the interval); Remaining 0 for the app's interval
    (X-RateLimit-Interval-Milliseconds), or `default_interval` when the app sends none; an
    exhausted daily budget for the longer of the two.
    """
    remaining = getattr(rate_limit_info, "remaining", None)
    daily_remaining = getattr(rate_limit_info, "daily_remaining", None)
    interval_ms = getattr(rate_limit_info, "interval_ms", None)
    interval = interval_ms / 1000 if interval_ms else default_interval
    if status == 429:
        seconds = retry_after or interval
    elif daily_remaining is not None and daily_remaining <= 0:
        seconds = max(retry_after or 0.0, interval or 0.0)
    elif remaining is not None and remaining <= 0:
        seconds = interval
    else:
        return
    drain(key, seconds or 0.0)
