"""Outbound webhook plumbing shared by the simulators.

- ``Outbox``: events emitted inside ``atomic()`` are sent once it has committed.
- ``Worker``: a per-process daemon thread that runs jobs after a delay (retries).
- ``post``: one HTTP attempt, as (status or None, error text).
- ``attempt``: one delivery attempt of a job, its outcome stored on the job's row, and a
  retry scheduled (or slept, in the tests' synchronous mode) for a 429, a 5xx or no answer.
Each simulator keeps its own body, signature and retry policy.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import requests
from django.db import close_old_connections, transaction


def iso(dt: datetime) -> str:
    """2026-01-02T03:04:05.678Z (milliseconds, as the real APIs write it)."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Outbox:
    """Events are queued with ``add(*args)`` and sent as ``send(*args)`` after commit."""

    def __init__(self, send: Callable[..., None]) -> None:
        self._send = send
        self._local = threading.local()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """transaction.atomic() whose events are sent once it has committed.

        Events added inside are collected and sent after the block exits cleanly
        (dropped if it raises). Unlike a bare on_commit this also works under a test-case
        transaction that never commits (pytest-django's ``db`` fixture).
        """
        if getattr(self._local, "events", None) is not None:  # nested: the outer block sends
            with transaction.atomic():
                yield
            return
        self._local.events = []
        try:
            with transaction.atomic():
                yield
            events = self._local.events
        finally:
            self._local.events = None
        for args in events:
            self._send(*args)

    def add(self, *args: Any) -> None:
        pending = getattr(self._local, "events", None)
        if pending is not None:
            pending.append(args)
        else:
            transaction.on_commit(lambda: self._send(*args))


def post(
    url: str, raw: bytes, headers: dict[str, str], timeout: tuple[float, float]
) -> tuple[int | None, str]:
    """POST raw to url: (status code, "") or (None, the connection error)."""
    try:
        return requests.post(url, data=raw, headers=headers, timeout=timeout).status_code, ""
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]


class Worker:
    """A tiny scheduler: a heap of (due, seq, job) and one daemon thread, started on first use.

    ``run(job)`` does the work; a failure is logged as ``failed % job.pk``.
    """

    def __init__(
        self, name: str, run: Callable[[Any], object], log: logging.Logger, failed: str
    ) -> None:
        self._name = name
        self._run_job = run
        self._log = log
        self._failed = failed
        self._heap: list = []
        self._cv = threading.Condition()
        self._seq = 0
        self._thread: threading.Thread | None = None

    def submit(self, delay: float, job: Any) -> None:
        with self._cv:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + delay, self._seq, job))
            self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cv.wait(timeout)
                _, _, job = heapq.heappop(self._heap)
            try:
                close_old_connections()
                self._run_job(job)
            except Exception:  # keep the worker alive whatever happens
                self._log.exception(self._failed, job.pk)
            finally:
                close_old_connections()


def attempt(
    job: Any,
    headers: dict[str, str],
    *,
    model: Any,
    worker: Worker,
    max_retries: int,
    backoff: Callable[[int], float],
    sync: bool,
) -> float | None:
    """POST `job.raw` to `job.url` once and record the outcome on `model` row `job.pk`
    (attempts, status_code, error, state ok | retrying | failed). Returns the delay before
    the next try after sleeping it when `sync`; otherwise the worker retries it later."""
    from django.utils import timezone

    job.attempts += 1
    status, err = post(job.url, job.raw, headers, timeout=(3, 10))
    retry_in = None
    if status is not None and 200 <= status < 300:
        state = "ok"
    elif (status is None or status == 429 or status >= 500) and job.attempts <= max_retries:
        state, retry_in = "retrying", backoff(job.attempts)
    else:
        state = "failed"
    model.objects.filter(pk=job.pk).update(
        attempts=job.attempts, status_code=status, error=err, state=state, updated=timezone.now()
    )
    if retry_in is not None:
        if sync:
            time.sleep(retry_in)
        else:
            worker.submit(retry_in, job)
            return None
    return retry_in
