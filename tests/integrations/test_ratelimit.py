"""The shared request budget: Redis and the file-lock fallback, and GHL against the sandbox."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid

import pytest
import requests

from integrations import ratelimit
from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from tests.conftest import require_redis
from tests.connectors.conftest import pit_connection

RATE = 20
PER = 1.0
RUN_FOR = 2.5
WORKERS = 4


def _hammer(key: str, until: float, out) -> None:  # type: ignore[no-untyped-def]
    stamps = []
    while time.time() < until:
        try:
            ratelimit.acquire(key, rate=RATE, per_seconds=PER, timeout=5)
        except ConnectorError:
            continue
        stamps.append(time.time())
    out.put(stamps)


def _run_workers(key: str) -> tuple[float, list[float]]:
    """WORKERS processes (forked: they share the test's settings) hammer one key."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.time()
    until = start + RUN_FOR
    procs = [ctx.Process(target=_hammer, args=(key, until, out)) for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    stamps: list[float] = []
    for _ in procs:
        stamps += out.get(timeout=30)
    for proc in procs:
        proc.join(timeout=10)
        assert proc.exitcode == 0
    return start, sorted(stamps)


def _assert_within_budget(start: float, stamps: list[float]) -> None:
    assert stamps, "no grants at all"
    # Per 1-second window from the start: the first may hold the initial burst (the bucket's
    # size) on top of the rate; later windows never more than the rate (+1 for clock jitter).
    windows: dict[int, int] = {}
    for stamp in stamps:
        windows[int((stamp - start) // PER)] = windows.get(int((stamp - start) // PER), 0) + 1
    for index, count in windows.items():
        allowed = 2 * RATE if index == 0 else RATE + 1
        assert count <= allowed, (index, count, windows)
    # Sliding: no stretch of PER seconds holds more than RATE grants (small jitter margin).
    for i in range(len(stamps) - RATE - 1):
        assert stamps[i + RATE + 1] - stamps[i] >= PER - 0.05, (i, stamps[i : i + RATE + 2])
    assert len(stamps) <= RATE * (RUN_FOR / PER + 1) + 1
    assert len(stamps) >= 2 * RATE  # the budget is used, not just refused


def _check_keys_independent() -> None:
    a, b = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"
    for _ in range(5):
        ratelimit.acquire(a, rate=5, per_seconds=60, timeout=0)
    with pytest.raises(ConnectorError):
        ratelimit.acquire(a, rate=5, per_seconds=60, timeout=0)
    for _ in range(5):
        assert ratelimit.acquire(b, rate=5, per_seconds=60, timeout=0) == pytest.approx(0, abs=1)


def _check_timeout() -> None:
    key = f"test:{uuid.uuid4().hex}"
    for _ in range(3):
        ratelimit.acquire(key, rate=3, per_seconds=30, timeout=0)
    with pytest.raises(ConnectorError) as info:
        ratelimit.acquire(key, rate=3, per_seconds=30, timeout=0.2)
    assert info.value.kind == ErrorKind.RATE_LIMITED and not info.value.permanent
    assert 20 < info.value.retry_after <= 30


def _check_observe_drains() -> None:
    key = f"test:{uuid.uuid4().hex}"
    ratelimit.acquire(key, rate=100, per_seconds=10, timeout=0)
    ratelimit.observe(key, http.RateLimitInfo(remaining=5, interval_ms=10_000))
    ratelimit.acquire(key, rate=100, per_seconds=10, timeout=0)  # budget left: no drain
    ratelimit.observe(key, http.RateLimitInfo(remaining=0, interval_ms=10_000))
    with pytest.raises(ConnectorError) as info:
        ratelimit.acquire(key, rate=100, per_seconds=10, timeout=0)
    assert 8 < info.value.retry_after <= 10
    other = f"test:{uuid.uuid4().hex}"
    ratelimit.observe(other, http.RateLimitInfo(), status=429, retry_after=30)
    with pytest.raises(ConnectorError) as info:
        ratelimit.acquire(other, rate=100, per_seconds=10, timeout=0)
    assert 28 < info.value.retry_after <= 30


# --- Redis -------------------------------------------------------------------------------
def test_redis_workers_share_one_budget():
    require_redis()
    start, stamps = _run_workers(f"test:{uuid.uuid4().hex}")
    _assert_within_budget(start, stamps)


def test_redis_keys_timeout_and_observe():
    require_redis()
    _check_keys_independent()
    _check_timeout()
    _check_observe_drains()


# --- file-lock fallback (embedded, one machine) ------------------------------------------
@pytest.fixture
def no_redis(settings):  # type: ignore[no-untyped-def]
    settings.REDIS_URL = ""


def test_file_workers_share_one_budget(no_redis, settings):
    start, stamps = _run_workers(f"test:{uuid.uuid4().hex}")
    _assert_within_budget(start, stamps)
    assert list(settings.LOCK_DIR.glob("ratelimit-*.json"))


def test_file_keys_timeout_and_observe(no_redis):
    _check_keys_independent()
    _check_timeout()
    _check_observe_drains()


# --- GHL against the sandbox -------------------------------------------------------------
def test_ghl_calls_stay_under_the_sandbox_limit(ghl_sandbox, workspace, settings):
    base = ghl_sandbox.url + "/sandbox/ghl"
    # A little under the app's limit, as in production (95 of 100): a grant and the
    # request's arrival at the app are not the same instant, and under load a request
    # granted at the end of one window can land in the next.
    settings.GHL_RATE_LIMIT_MAX = 9
    settings.GHL_RATE_LIMIT_INTERVAL_SECONDS = 2
    conn = pit_connection(workspace)
    contact_id = conn.connector.call("get-contacts", limit=1)["contacts"][0]["id"]
    answer = requests.post(
        base + "/_control/limits", json={"max": 10, "interval_ms": 2000}, timeout=10
    )
    assert answer.json()["max"] == 10
    results: list[tuple[int, int, int]] = []  # (ok, failed, 429s seen)
    lock = threading.Lock()

    def worker() -> None:
        ok = failed = 0
        with http.recording() as records:
            for _ in range(8):
                try:
                    data = conn.connector.call("get-contact", contactId=contact_id)
                    ok += data["contact"]["id"] == contact_id
                except ConnectorError:
                    failed += 1
        with lock:
            results.append((ok, failed, sum(r.status == 429 for r in records)))

    try:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        requests.post(
            base + "/_control/limits", json={"max": None, "interval_ms": None}, timeout=10
        )
    assert len(results) == 4
    assert sum(r[2] for r in results) == 0  # no 429 at the sandbox
    assert sum(r[1] for r in results) == 0
    assert sum(r[0] for r in results) == 32
