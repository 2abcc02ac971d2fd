"""Named locks shared by every worker: Redis when REDIS_URL is set, else file locks.

The embedded default runs on one machine, where an fcntl lock on a file under var/locks is
shared by the web server, the worker and the scheduler. Production runs many machines and
uses a Redis lock (redis-py's Lock, with a timeout so a crashed holder cannot block forever).

Flights are the shared counterpart: many holders at once under one name (``in_flight``), and
a waiter that waits for the ones running when it looked to land (``wait_for_flights``) —
a Redis sorted set scored by expiry, or one file per holder embedded.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings


class LockTimeout(Exception):
    pass


@cache
def _redis():  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


@contextmanager
def named_lock(name: str, *, timeout: float = 60, wait: float = 30) -> Iterator[None]:
    if settings.REDIS_URL:
        lock = _redis().lock(f"syncdeck:lock:{name}", timeout=timeout, blocking_timeout=wait)
        if not lock.acquire():
            raise LockTimeout(f"could not take lock {name!r} within {wait}s")
        try:
            yield
        finally:
            # Expired while held (LockNotOwnedError): nothing left to release.
            with contextlib.suppress(Exception):
                lock.release()
        return
    lock_dir = settings.LOCK_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"could not take lock {name!r} within {wait}s") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _flight_dir(name: str):  # type: ignore[no-untyped-def]
    return settings.LOCK_DIR / "flights" / hashlib.sha256(name.encode()).hexdigest()[:32]


def _flights(name: str) -> set[str]:
    """The holders of `name` now (expired ones, left by a crashed process, dropped)."""
    now = time.time()
    if settings.REDIS_URL:
        key = f"syncdeck:flight:{name}"
        _redis().zremrangebyscore(key, "-inf", now)
        return {m.decode() for m in _redis().zrange(key, 0, -1)}
    found = set()
    folder = _flight_dir(name)
    for path in folder.iterdir() if folder.exists() else []:
        try:
            if float(path.read_text() or 0) > now:
                found.add(path.name)
        except (FileNotFoundError, ValueError):
            continue  # landed while we looked, or half written: not running
    return found


@contextmanager
def in_flight(name: str, *, ttl: float = 300) -> Iterator[None]:
    """Mark one piece of work under `name` as running, for at most `ttl` seconds."""
    token = uuid.uuid4().hex
    expires = time.time() + ttl
    if settings.REDIS_URL:
        key = f"syncdeck:flight:{name}"
        pipe = _redis().pipeline()
        pipe.zadd(key, {token: expires}).expire(key, int(ttl) + 1).execute()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                _redis().zrem(key, token)
        return
    folder = _flight_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / token
    path.write_text(str(expires))
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def wait_for_flights(name: str, *, wait: float = 30) -> bool:
    """Wait until the work running under `name` when called has finished (work started
    later is not waited for). True when there was any; LockTimeout after `wait` seconds."""
    pending = _flights(name)
    if not pending:
        return False
    deadline = time.monotonic() + wait
    while pending:
        if time.monotonic() > deadline:
            raise LockTimeout(f"work under {name!r} still running after {wait}s")
        time.sleep(0.02)
        pending &= _flights(name)
    return True
