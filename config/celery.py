from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("syncdeck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["integrations"])


@worker_init.connect
@beat_init.connect
def _refuse_unsafe_start(**kwargs: object) -> None:
    # Celery does not run Django's system checks: refuse an unsafe production start here.
    # SystemExit, because Celery logs and ignores exceptions raised by signal handlers.
    from django.core.exceptions import ImproperlyConfigured

    from config.checks import refuse_unsafe_start

    try:
        refuse_unsafe_start()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from exc


@task_prerun.connect
def _replace_stale_connections(task: object = None, **kwargs: object) -> None:
    # Connections are kept between tasks (CELERY_DB_REUSE_MAX): drop one that broke (a
    # database restart) or outlived CONN_MAX_AGE before the task uses it, as Django does
    # at the start of each request. Not for an eager task: it runs inside its caller's
    # transaction.
    from django.db import close_old_connections

    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    close_old_connections()
