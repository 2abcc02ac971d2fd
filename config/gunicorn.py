"""gunicorn settings that belong to the code: `gunicorn -c python:config.gunicorn …`.

Metrics are kept per process in files (prometheus-client's multiprocess mode, see
settings.METRICS_DIR), shared with the Celery workers of the same machine: a gunicorn
worker that exits has its live gauges folded away. The directory is emptied before the
processes start (`runall` does it; in production, a tmpfs emptied at boot), never by one
process while others write to it.
"""

from __future__ import annotations

import os


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
