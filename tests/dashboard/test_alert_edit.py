"""Alert rules: edited in place (a secret destination is kept when left empty), muted until a
time (problems tracked, messages kept as "muted", nothing sent), and a per-rule history.
Owners and admins only (403), other workspaces' rules are 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.alerts import evaluate_rule
from integrations.models import (
    AlertIncident,
    AlertRule,
    AuditEntry,
    Connection,
    Flow,
    Integration,
    Notification,
    Run,
    RunStatus,
    TriggerKind,
)

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/services/T0/B0/secret-part"


@pytest.fixture
def rule(workspace):
    return AlertRule.objects.create(
        workspace=workspace, kind=AlertRule.Kind.RUN_FAILED, channel="webhook", target=HOOK
    )


@pytest.fixture
def failed_run(workspace):
    c = Connection.objects.create(workspace=workspace, kind="ghl", auth_method="pit")
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    flow = Flow.objects.create(
        integration=integration, name="contacts", source=c, trigger_kind=TriggerKind.WEBHOOK
    )
    return Run.objects.create(
        workspace=workspace, flow=flow, status=RunStatus.FAILED, attempt=1, error="boom"
    )


def edit(client, rule, **fields):
    data = {
        "kind": rule.kind,
        "channel": rule.channel,
        "target": "",
        "threshold": rule.threshold,
        "window_minutes": rule.window_minutes,
    }
    data.update(fields)
    return client.post(reverse("dashboard:alert_rule", args=[rule.pk]), data)


def test_owner_edits_a_rule_and_keeps_its_secret_url(client, owner, rule):
    client.force_login(owner)
    page = client.get(reverse("dashboard:alert_rule", args=[rule.pk])).content.decode()
    assert "secret-part" not in page  # the URL is never shown back
    response = edit(client, rule, window_minutes=30, kind="error_rate", threshold=15)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.kind, rule.window_minutes, rule.threshold) == ("error_rate", 30, 15)
    assert rule.target == HOOK
    entry = AuditEntry.objects.get(action="alert_rule.changed")
    assert sorted(entry.detail["fields"]) == ["kind", "threshold", "window_minutes"]
    assert "secret" not in str(entry.detail) + entry.target


def test_a_new_channel_needs_a_new_destination(client, owner, rule):
    client.force_login(owner)
    response = edit(client, rule, channel="email")
    assert response.status_code == 400
    assert "Give the new destination" in response.content.decode()
    response = edit(client, rule, channel="email", target="ops@example.com")
    rule.refresh_from_db()
    assert (rule.channel, rule.target) == ("email", "ops@example.com")


def test_changing_the_kind_closes_its_open_incidents(client, owner, rule, failed_run):
    sent: list[int] = []
    evaluate_rule(rule, sent.append)
    assert AlertIncident.objects.filter(rule=rule, resolved__isnull=True).count() == 1
    client.force_login(owner)
    edit(client, rule, kind="connection_reauth")
    assert not AlertIncident.objects.filter(rule=rule, resolved__isnull=True).exists()


def test_a_muted_rule_keeps_but_does_not_send(client, owner, rule, failed_run):
    client.force_login(owner)
    response = client.post(reverse("dashboard:alert_mute", args=[rule.pk]), {"hours": "8"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert timedelta(hours=7, minutes=59) < rule.muted_until - timezone.now() <= timedelta(hours=8)
    sent: list[int] = []
    with_commit = evaluate_rule(rule, sent.append)
    assert sent == [] and [n.status for n in with_commit] == ["muted"]
    page = client.get(reverse("dashboard:alert_rule", args=[rule.pk])).content.decode()
    assert "Muted until" in page and "Muted (not sent)" in page
    assert AuditEntry.objects.filter(action="alert_rule.muted").exists()
    client.post(reverse("dashboard:alert_unmute", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.muted_until is None and not rule.muted()


def test_after_the_mute_messages_are_sent_again(
    rule, failed_run, django_capture_on_commit_callbacks
):
    rule.muted_until = timezone.now() - timedelta(minutes=1)
    rule.save()
    sent: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        made = evaluate_rule(rule, sent.append)
    assert [n.status for n in made] == ["pending"] and sent == [made[0].pk]


def test_a_mute_in_the_past_or_too_far_is_refused(client, owner, rule):
    client.force_login(owner)
    url = reverse("dashboard:alert_mute", args=[rule.pk])
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"until": past})
    assert response.status_code == 400 and "in the future" in response.content.decode()
    far = (timezone.localtime() + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    assert "at most 30 days" in client.post(url, {"until": far}).content.decode()
    assert client.post(url, {}).status_code == 400
    rule.refresh_from_db()
    assert rule.muted_until is None


def test_the_history_shows_this_rules_messages_only(client, viewer, rule, workspace):
    other = AlertRule.objects.create(workspace=workspace, kind="error_rate", target="a@b.co")
    for r, subject in ((rule, "Run failed in A"), (other, "Error rate of B")):
        Notification.objects.create(
            workspace=workspace,
            rule=r,
            channel=r.channel,
            target=r.target,
            subject=subject,
            body="",
            status="sent",
        )
    client.force_login(viewer)
    page = client.get(reverse("dashboard:alert_rule", args=[rule.pk])).content.decode()
    assert "Run failed in A" in page and "Error rate of B" not in page
    assert "Save" not in page  # a viewer reads, does not edit


@pytest.mark.parametrize("name", ["alert_rule", "alert_mute", "alert_unmute"])
def test_roles_and_ownership(client, operator, outsider, rule, name):
    url = reverse(f"dashboard:{name}", args=[rule.pk])
    client.force_login(operator)
    assert client.post(url, {"hours": "1"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"hours": "1"}).status_code == 404
    assert client.get(reverse("dashboard:alert_rule", args=[rule.pk])).status_code == 404
    rule.refresh_from_db()
    assert rule.muted_until is None
