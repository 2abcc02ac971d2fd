"""Start and stop the bench's own stack: gunicorn and N Celery workers, on 127.0.0.1 only.

Everything here runs before Django is set up: `prepare_env()` fills os.environ (var dir,
port, site URL, rate limits) so the bench process and every child read the same settings.
Each child gets its own session (process group); `Stack.stop()` terminates them politely
and then kills the whole group, and is safe to call twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

GUNICORN_WORKERS = 4
GUNICORN_THREADS = 8
CELERY_WORKERS = 4
# Each of the 4 workers' pool: runs mostly wait on HTTP, so threads serve them well.
WORKER_POOL = os.environ.get("BENCH_WORKER_POOL", "threads")
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "4"))
OUR_RATE_MAX = 480
OUR_RATE_INTERVAL = 10
SANDBOX_RATE_MAX = 500
SANDBOX_RATE_INTERVAL_MS = 10_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_env() -> dict[str, str]:
    """Fill os.environ for this process and its children; returns a description."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    var_dir = BASE_DIR / "var" / f"bench-{stamp}"
    var_dir.mkdir(parents=True, exist_ok=False)
    port = free_port()
    os.environ.update(
        {
            "SYNCDECK_VAR_DIR": str(var_dir),
            "PORT": str(port),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "GHL_RATE_LIMIT_MAX": str(OUR_RATE_MAX),
            "GHL_RATE_LIMIT_INTERVAL_SECONDS": str(OUR_RATE_INTERVAL),
            "PYTHONUNBUFFERED": "1",
            # The workers run with the var dir as cwd (kombu's filesystem transport keeps
            # its pidbox "control" folder in the cwd); the project must stay importable.
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(BASE_DIR), os.environ.get("PYTHONPATH", "")) if p
            ),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The bench drives the sandboxes on loopback: the demo mode, asked for explicitly.
    os.environ.setdefault("SYNCDECK_DEMO", "true")
    return {"var_dir": str(var_dir), "port": str(port)}


def celery_app() -> str:
    """The Celery app the workers load: `config`, or BENCH_CELERY_APP for a what-if run
    (e.g. a module that imports config.celery.app and changes one broker option)."""
    return os.environ.get("BENCH_CELERY_APP", "config")


def database_label() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return "SQLite (WAL, file in the bench var dir)"
    parts = urlsplit(url)
    return f"{parts.scheme} {parts.hostname}:{parts.port or ''}{parts.path}"


def broker_label() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url or url.startswith("filesystem://"):
        return "filesystem:// (kombu, embedded)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}{parts.path}"


def manage(*args: str, timeout: float = 300) -> str:
    """Run `manage.py <args>` with the bench environment; raise with its output on failure."""
    done = subprocess.run(
        [PYTHON, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Stack:
    var_dir: Path
    port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, cmd: list[str], cwd: Path) -> None:
        log_path = self.var_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            self.procs[name] = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.logs[name] = log_path

    def start(self, timeout: float = 90) -> None:
        self.start_web(timeout)
        self.start_workers(timeout)

    def start_web(self, timeout: float = 90) -> None:
        self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--threads",
                str(GUNICORN_THREADS),
                "--worker-class",
                "gthread",
                "--timeout",
                "60",
            ],
            BASE_DIR,
        )
        self._wait_web(time.monotonic() + timeout)

    def start_workers(self, timeout: float = 90) -> None:
        for n in range(1, CELERY_WORKERS + 1):
            self._spawn(
                f"worker{n}",
                [
                    str(BIN / "celery"),
                    "-A",
                    celery_app(),
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--pool",
                    WORKER_POOL,
                    "--concurrency",
                    str(WORKER_CONCURRENCY),
                    "-n",
                    f"bench{n}@%h",
                ],
                self.var_dir,
            )
        self._wait_workers(time.monotonic() + timeout)

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = self.logs[name].read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def _wait_web(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError("the web server did not answer in time")

    def _wait_workers(self, deadline: float) -> None:
        waiting = {name for name in self.procs if name.startswith("worker")}
        while waiting and time.monotonic() < deadline:
            self._check_alive()
            for name in list(waiting):
                if " ready." in self.logs[name].read_text(errors="replace"):
                    waiting.discard(name)
            time.sleep(0.3)
        if waiting:
            raise TimeoutError(f"Celery workers not ready in time: {sorted(waiting)}")

    def stop(self, grace: float = 15) -> None:
        """SIGTERM each main process (warm shutdown), then SIGKILL what is left of each group."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers (children) of the group
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.procs.clear()
