"""Real Celery worker processes for tests, on the configured broker (Redis in CI).

The worker opens the test database (PostgreSQL in CI; locally the SQLite test file) and
talks to the live server's sandbox over HTTP, like production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    def __init__(self, log: Path, extra_env: dict[str, str], concurrency: int = 2) -> None:
        self.log = log
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "SECRET_KEY": settings.SECRET_KEY,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "HTTP_ALLOW_PRIVATE_TARGETS": "true",
            "GHL_API_BASE_URL": settings.GHL_API_BASE_URL,
            "GHL_TOKEN_URL": settings.GHL_TOKEN_URL,
            "GHL_CLIENT_ID": settings.GHL_CLIENT_ID,
            "GHL_CLIENT_SECRET": settings.GHL_CLIENT_SECRET,
            **extra_env,
        }
        if db["ENGINE"].endswith("postgresql"):
            env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(db["NAME"])
        self.handle = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--purge",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if "ready." in self.output():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"the worker did not start:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool): a machine dying mid-run."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


def broker_available() -> None:
    """Under CI the broker must be Redis (checked at session start); locally any works."""
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        from tests.conftest import require_redis

        require_redis()


def wait_for(predicate, timeout: float = 30, interval: float = 0.2, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")
