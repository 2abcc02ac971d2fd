"""Periodic connection health checks against the GHL sandbox over real HTTP: the beat task
checks due connections (not those checked lately, needing re-auth or with an open
breaker), the card shows the last check, and a failed check alerts (and recovers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.utils import timezone

from integrations import checks, tasks
from integrations.models import AlertRule, Connection, ConnectionStatus, Notification
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ghl(ghl_sandbox, workspace):
    return pit_connection(workspace)


def faults(base: str, error_rate: float) -> None:
    requests.post(
        base + "/sandbox/ghl/_control/faults", json={"error_rate": error_rate}, timeout=10
    )


def test_the_beat_task_checks_due_connections(ghl, workspace, client, owner):
    assert checks.due() == [ghl.pk]
    assert tasks.check_connections() == 1
    ghl.refresh_from_db()
    assert ghl.last_check_ok is True and ghl.last_checked_at is not None
    # Checked just now: not due again until the interval has passed.
    assert checks.due() == []
    assert checks.due(now=timezone.now() + checks.interval() + timedelta(seconds=1)) == [ghl.pk]
    client.force_login(owner)
    card = client.get("/connections/").content.decode()
    assert "✓" in card and "ago" in card


def test_it_skips_reauth_and_open_breakers(ghl, workspace):
    other = Connection.objects.create(workspace=workspace, kind="ghl", auth_method="pit")
    Connection.objects.filter(pk=other.pk).update(status=ConnectionStatus.NEEDS_REAUTH)
    Connection.objects.filter(pk=ghl.pk).update(
        breaker_open_until=timezone.now() + timedelta(minutes=1)
    )
    assert checks.due() == []
    assert tasks.check_connections() == 0


def test_a_failed_check_alerts_and_a_passing_one_recovers(ghl_sandbox, ghl, workspace, settings):
    rule = AlertRule.objects.create(
        workspace=workspace,
        kind=AlertRule.Kind.CONNECTION_CHECK,
        channel="email",
        target="ops@example.com",
    )
    base = ghl_sandbox.url
    faults(base, 1)
    try:
        tasks.check_connection_health(ghl.pk)
    finally:
        faults(base, 0)
    ghl.refresh_from_db()
    assert ghl.last_check_ok is False and ghl.last_check_message
    opened = Notification.objects.get(rule=rule, kind="opened")
    assert opened.status == "sent" and "Health check of" in opened.subject
    assert any("Health check of" in m.subject for m in mail.outbox)
    # The same failure again: no second message.
    faults(base, 1)
    try:
        tasks.check_connection_health(ghl.pk)
    finally:
        faults(base, 0)
    assert Notification.objects.filter(rule=rule).count() == 1
    tasks.check_connection_health(ghl.pk)
    ghl.refresh_from_db()
    assert ghl.last_check_ok is True
    assert Notification.objects.filter(rule=rule, kind="recovered").count() == 1
