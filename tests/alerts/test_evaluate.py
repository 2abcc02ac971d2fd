"""Rule evaluation: one incident and one message per problem, one "recovered" when it clears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations import alerts
from integrations.models import (
    AlertIncident,
    AlertRule,
    ConnectionStatus,
    Notification,
    RunStatus,
)
from integrations.sync import failures
from tests.alerts.conftest import make_rule, make_run

pytestmark = pytest.mark.django_db


def test_a_failed_run_opens_one_incident_and_one_message(workspace, flow, evaluate):
    rule = make_rule(workspace)
    make_run(flow)
    for _ in range(3):
        evaluate()
    make_run(flow)  # a second failure of the same flow: same incident, no new message
    evaluate()
    incident = AlertIncident.objects.get()
    assert incident.rule == rule and incident.key == f"flow:{flow.pk}"
    assert incident.resolved is None
    notification = Notification.objects.get()
    assert notification.kind == "opened" and notification.status == "sent"
    assert len(mail.outbox) == 1


def test_a_later_success_sends_one_recovered(workspace, flow, evaluate):
    make_rule(workspace)
    make_run(flow)
    evaluate()
    make_run(flow, RunStatus.SUCCEEDED, error="", error_kind="")
    evaluate()
    evaluate()
    incident = AlertIncident.objects.get()
    assert incident.resolved is not None
    kinds = list(Notification.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["opened", "recovered"]
    assert mail.outbox[1].subject.startswith("[Syncdeck] Recovered: Run failed in GHL → CRM")
    # A new failure after the recovery is a new incident.
    make_run(flow)
    evaluate()
    assert AlertIncident.objects.count() == 2
    assert Notification.objects.count() == 3


def test_it_ignores_retrying_dismissed_and_old_failures(workspace, flow, evaluate):
    make_rule(workspace, window_minutes=60)
    make_run(flow, RunStatus.RETRYING, finished_at=None)
    evaluate()
    assert not AlertIncident.objects.exists()
    make_run(flow, dismissed=True)
    evaluate()
    assert not AlertIncident.objects.exists()
    make_run(flow, finished_at=timezone.now() - timedelta(hours=3))
    evaluate()
    assert not AlertIncident.objects.exists()
    assert mail.outbox == []


def test_a_disabled_rule_says_nothing(workspace, flow, evaluate):
    make_rule(workspace, enabled=False)
    make_run(flow)
    evaluate()
    assert not Notification.objects.exists()


def test_rules_see_only_their_workspace(workspace, flow, evaluate, outsider):
    from integrations.models import Workspace

    make_rule(Workspace.objects.get(name="Other Co"))
    make_run(flow)
    evaluate()
    assert not Notification.objects.exists()


def test_connection_reauth_opens_and_recovers(workspace, connection, evaluate):
    make_rule(workspace, AlertRule.Kind.CONNECTION_REAUTH)
    evaluate()
    assert not AlertIncident.objects.exists()
    connection.status = ConnectionStatus.NEEDS_REAUTH
    connection.last_error = "HighLevel answered 401: invalid token"
    connection.save()
    evaluate()
    evaluate()
    assert AlertIncident.objects.get(resolved__isnull=True).key == f"connection:{connection.pk}"
    assert len(mail.outbox) == 1
    assert "GHL Main needs re-authorisation" in mail.outbox[0].subject
    assert "invalid token" in mail.outbox[0].body
    connection.status = ConnectionStatus.ACTIVE
    connection.save()
    evaluate()
    evaluate()
    assert AlertIncident.objects.get().resolved is not None
    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        "[Syncdeck] GHL Main needs re-authorisation",
        "[Syncdeck] Recovered",
    ]


def test_error_rate_needs_a_sample_and_the_threshold(workspace, flow, evaluate):
    make_rule(workspace, AlertRule.Kind.ERROR_RATE, threshold=50, window_minutes=30)
    for _ in range(4):
        make_run(flow)
    evaluate()  # 4 of 4 failed, but fewer than 5 finished runs say nothing
    assert not AlertIncident.objects.exists()
    make_run(flow, RunStatus.SUCCEEDED)
    make_run(flow, finished_at=timezone.now() - timedelta(hours=2))  # outside the window
    evaluate()
    evaluate()
    incident = AlertIncident.objects.get()
    assert incident.key == f"integration:{flow.integration.pk}"
    assert len(mail.outbox) == 1
    assert "4 of 5 finished runs failed in the last 30 minutes (80%)" in mail.outbox[0].body
    for _ in range(5):
        make_run(flow, RunStatus.SUCCEEDED)
    evaluate()  # 4 of 10 = 40% < 50%
    evaluate()
    incident.refresh_from_db()
    assert incident.resolved is not None
    assert len(mail.outbox) == 2 and "Recovered" in mail.outbox[1].subject


def test_a_lost_race_records_no_second_message(workspace, flow):
    """Another evaluation opened the incident between our read and our insert."""
    rule = make_rule(workspace)
    make_run(flow)
    sent: list[int] = []
    AlertIncident.objects.create(rule=rule, key=f"flow:{flow.pk}", summary="opened elsewhere")
    problem = alerts.evaluate.Problem(key=f"flow:{flow.pk}", summary="x", url="http://x/")
    assert alerts.evaluate._open(rule, problem, sent.append, timezone.now()) is None
    assert not Notification.objects.exists() and sent == []
    # and two resolutions of one incident make one "recovered"
    incident = AlertIncident.objects.get()
    now = timezone.now()
    assert alerts.evaluate._resolve(rule, incident, problem, sent.append, now) is not None
    assert alerts.evaluate._resolve(rule, incident, problem, sent.append, now) is None
    assert Notification.objects.filter(kind="recovered").count() == 1


def test_the_engine_hook_alerts_at_once(workspace, flow, django_capture_on_commit_callbacks):
    make_rule(workspace)
    run = make_run(flow, RunStatus.RUNNING, finished_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        failures.finish(run, RunStatus.FAILED, error="boom", error_kind="permanent")
    assert Notification.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_email_says_what_failed_and_links_to_the_run(workspace, flow, evaluate, settings):
    settings.SITE_URL = "https://syncdeck.example.com"
    make_rule(workspace, target="oncall@example.com")
    run = make_run(flow, error_hint="Check that HighLevel is up.")
    evaluate()
    (message,) = mail.outbox
    assert message.to == ["oncall@example.com"]
    assert message.subject == "[Syncdeck] Run failed in GHL → CRM / contacts"
    assert "failed after 3 attempt(s)" in message.body
    assert "Ada <ada@example.com>" in message.body
    assert "Error (transient): HighLevel timed out after 10 s" in message.body
    assert "What to do: Check that HighLevel is up." in message.body
    assert f"https://syncdeck.example.com/runs/{run.code}/" in message.body
    assert "https://syncdeck.example.com/alerts/" in message.body
    assert message.alternatives == []  # plain text
