"""A worker keeps its database connections between runs (issue #14).

Celery's Django fixup closes every connection after each task unless CELERY_DB_REUSE_MAX
is set: one new PostgreSQL connection per run. The worker here tags its connections with
an application_name, and the test samples pg_stat_activity while 16 runs go through it:
the distinct backends it sees are the connections the worker opened. The same burst with
reuse switched off (CELERY_DB_REUSE_MAX=0) shows the test can tell the difference.
"""

from __future__ import annotations

import threading

import pytest
import requests
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from config.celery import app as celery_app
from integrations import demo
from integrations.models import Run, RunStatus
from tests.conftest import IN_CI
from tests.connectors.conftest import pit_connection
from tests.workers import Worker, broker_available, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
RUNS = 16


def _backends(app_name: str) -> set[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start::text FROM pg_stat_activity WHERE application_name = %s",
            [app_name],
        )
        return {(pid, start) for pid, start in cursor.fetchall()}


class Sampler(threading.Thread):
    """Samples pg_stat_activity from its own connection until stopped."""

    def __init__(self, app_name: str) -> None:
        super().__init__(daemon=True)
        self.app_name = app_name
        self.seen: set[tuple[int, str]] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                self.seen.update(_backends(self.app_name))
        finally:
            connection.close()


def _burst(ghl, tmp_path, reuse: str) -> set[tuple[int, str]]:
    app_name = f"syncdeck-conntest-{reuse}"
    worker = Worker(
        tmp_path / f"worker-{reuse}.log",
        {"DATABASE_APPLICATION_NAME": app_name, "CELERY_DB_REUSE_MAX": reuse},
    )
    sampler = Sampler(app_name)
    sampler.start()
    try:
        contacts = ghl.connector.call("search-contacts-advanced", body={"pageLimit": RUNS})[
            "contacts"
        ]
        before = Run.objects.count()
        for i, contact in enumerate(contacts):
            ghl.connector.call(
                "update-contact", contactId=contact["id"], body={"lastName": f"Reuse{reuse}-{i}"}
            )

        def done() -> bool:
            runs = Run.objects.all()
            unfinished = runs.exclude(
                status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]
            ).exists()
            return runs.count() - before >= len(contacts) and not unfinished

        wait_for(done, timeout=90, what=f"{RUNS} runs through the worker")
        assert Run.objects.filter(status=RunStatus.SUCCEEDED).count() >= before + len(contacts)
    finally:
        sampler.stopped.set()
        sampler.join(timeout=10)
        worker.stop()
    return sampler.seen


def test_worker_reuses_database_connections_across_runs(ghl_sandbox, workspace, tmp_path, settings):
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        if IN_CI:
            pytest.fail("CI=true: this test needs PostgreSQL")
        pytest.skip("counts PostgreSQL backends; run with DATABASE_URL=postgres://…")
    broker_available()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    try:
        base = ghl_sandbox.url
        requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
        ghl = pit_connection(workspace)
        yourapp = demo.yourapp_connection(workspace, base)
        demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
        call_command("sandbox_subscribe", base + "/webhooks/ghl/", "--exclusive", verbosity=0)

        kept = _burst(ghl, tmp_path, "1000")
        closed = _burst(ghl, tmp_path, "0")
    finally:
        celery_app.conf.task_always_eager = True
    # Two pool processes and the main process: a handful of connections for all the runs.
    assert len(kept) <= 6, kept
    # Closing after every task: a new connection per run (sampling sees most of them).
    assert len(closed) > RUNS // 2, (len(kept), len(closed))
