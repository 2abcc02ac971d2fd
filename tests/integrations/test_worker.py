"""A real Celery worker process, on the real broker (Redis in CI), runs "Test connection"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection as db_connection

from integrations.models import Connection
from tests.conftest import IN_CI, require_redis

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def test_worker_runs_connection_test(ghl_sandbox, workspace, settings_override=None):
    require_redis()
    if db_connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI must run this on PostgreSQL")
        pytest.skip("needs a database a second process can open (PostgreSQL)")
    out = StringIO()
    call_command("sandbox_pit", stdout=out)
    pit = json.loads(out.getvalue())
    conn = Connection(
        workspace=workspace, kind="ghl", auth_method="pit", scopes_requested=["contacts.readonly"]
    )
    conn.connector.connect_with_pit(pit["token"], pit["locationId"])
    conn.save()

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "GHL_API_BASE_URL": settings.GHL_API_BASE_URL,
        "GHL_TOKEN_URL": settings.GHL_TOKEN_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        from integrations.tasks import test_connection

        test_connection.delay(conn.pk)
        deadline = time.time() + 60
        while time.time() < deadline:
            conn.refresh_from_db()
            if conn.last_checked_at:
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
    assert conn.last_checked_at, f"the worker never ran the task; its output:\n{output[-3000:]}"
    assert conn.last_check_ok, conn.last_check_message
    assert pit["token"] not in output
