"""Start the embedded stack: web server, Celery worker and Celery beat, in one command.

Ctrl-C (or SIGTERM) stops all three. Used by `make run`, which sets SYNCDECK_DEMO=true;
the children inherit this process's environment, so they run in the same mode.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the process group still carries signals
        pass


class Command(BaseCommand):
    help = "Run web (gunicorn), a Celery worker and Celery beat together."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--workers", type=int, default=2, help="Celery worker concurrency")

    def handle(self, *args: object, port: int, workers: int, **options: object) -> None:
        python = sys.executable
        bindir = os.path.dirname(python)
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
        commands = {
            "web": [
                os.path.join(bindir, "gunicorn"),
                "config.wsgi:application",
                "--config",
                "python:config.gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "8",
                "--worker-class",
                "gthread",
                "--timeout",
                "60",
                "--access-logfile",
                "-",
                # Paths only: query strings may carry OAuth codes.
                "--access-logformat",
                '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            ],
            "worker": [
                os.path.join(bindir, "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(workers),
                "--hostname",
                f"worker-{port}@%h",
            ],
            "beat": [
                os.path.join(bindir, "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile=",
            ],
        }
        # Every process starts afresh: metrics files of an earlier start go first.
        for stale in settings.METRICS_DIR.glob("*.db"):
            stale.unlink(missing_ok=True)
        procs: dict[str, subprocess.Popen[bytes]] = {}
        for name, cmd in commands.items():
            # Same process group as this command: a signal to the group (Ctrl-C in a
            # terminal, `kill -- -PGID`) reaches every child, and if this process dies the
            # kernel ends each child with it (PR_SET_PDEATHSIG) instead of orphaning it.
            procs[name] = subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent)
        url = settings.SITE_URL if str(port) in settings.SITE_URL else f"http://127.0.0.1:{port}"
        demo = (
            f"  Demo mode. Log in as demo@example.com / demo\n"
            f"  GHL sandbox: {url}/sandbox/ghl/_ui/\n"
            if settings.DEMO
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Syncdeck is starting on {url}/\n{demo}"
                "  Ctrl-C stops the web server, the worker and the scheduler.\n"
            )
        )
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with {proc.returncode}; stopping the rest"
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            # SIGTERM to each main process: gunicorn and Celery shut their children down
            # themselves (Celery's warm shutdown finishes the task at hand).
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.time() + 20
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    proc.kill()
