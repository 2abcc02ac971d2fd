"""Named locks shared by every worker: Redis when REDIS_URL is set, else file locks.

The embedded default runs on one machine, where an fcntl lock on a file under var/locks is
shared by the web server, the worker and the scheduler. Production runs many machines and
uses a Redis lock (redis-py's Lock, with a timeout so a crashed holder cannot block forever).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
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
