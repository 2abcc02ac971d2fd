"""A signed GHL webhook is stored and its run queued in a handful of statements (#14)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.celery import app as celery_app
from integrations import demo
from integrations.models import Run, WebhookEvent
from tests.connectors.conftest import pit_connection
from tests.integrations.test_ghl_webhooks import _sandbox_keys, ed_sign, event, post, raw  # noqa: F401

pytestmark = pytest.mark.django_db

# SQLite counts its BEGIN IMMEDIATE / COMMIT / SAVEPOINT statements; PostgreSQL does not.
MAX_STATEMENTS = 10


def test_one_webhook_costs_few_statements(client, ghl_sandbox, workspace, settings):
    ghl = pit_connection(workspace)
    yourapp = demo.yourapp_connection(workspace, ghl_sandbox.url)
    demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False  # measure ingestion, not the run
    try:
        body = raw(event("ContactUpdate", locationId=ghl.account_id, id="c-q", webhookId="wq-1"))
        with CaptureQueriesContext(connection) as ctx:
            answer = post(client, body, {"X-GHL-Signature": ed_sign(body)})
        again = post(client, body, {"X-GHL-Signature": ed_sign(body)})
    finally:
        celery_app.conf.task_always_eager = True
    assert answer.status_code == 200 and answer.json()["status"] == "received"
    assert Run.objects.filter(record_id="c-q").count() == 1
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) <= MAX_STATEMENTS, "\n".join(s[:120] for s in statements)
    # No SELECT for the dedupe key on the way in: the unique index decides…
    assert not any(s.startswith("SELECT") and "integrations_webhookevent" in s for s in statements)
    # …and a redelivery still ends as a duplicate of the first, with no second run.
    assert again.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(dedupe_key="wq-1").count() == 2
    assert Run.objects.filter(record_id="c-q").count() == 1
