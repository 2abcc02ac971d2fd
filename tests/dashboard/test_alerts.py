from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from integrations.models import AlertRule, AuditEntry, Membership, Notification, Role, Workspace

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:alerts")


def rule_of(workspace, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("kind", AlertRule.Kind.RUN_FAILED)
    fields.setdefault("target", "ops@example.com")
    return AlertRule.objects.create(workspace=workspace, **fields)


def test_it_shows_the_empty_state(client, owner):
    client.force_login(owner)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "<title>Alerts · Syncdeck</title>" in text
    assert "No alert rules yet — add one to be emailed when a run fails" in text
    assert 'id="add-rule"' in text
    assert "No alerts sent yet." in text


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302


def test_owner_adds_an_email_rule(client, owner, workspace):
    client.force_login(owner)
    response = client.post(
        URL,
        {
            "kind": "run_failed",
            "channel": "email",
            "target": "ops@example.com",
            "threshold": "20",
            "window_minutes": "60",
        },
        follow=True,
    )
    rule = AlertRule.objects.get()
    assert rule.workspace == workspace and rule.enabled and rule.target == "ops@example.com"
    assert "Alert rule added" in response.content.decode()
    assert AuditEntry.objects.filter(action="alert_rule.created").exists()


def test_it_validates_and_keeps_the_input(client, owner):
    client.force_login(owner)
    data = {
        "kind": "error_rate",
        "channel": "email",
        "target": "not-an-email",
        "threshold": "150",
        "window_minutes": "60",
    }
    response = client.post(URL, data)
    assert response.status_code == 200  # the page again, with the errors
    text = response.content.decode()
    assert "Enter a valid email address." in text
    assert "Give a percentage between 1 and 100." in text
    assert 'value="not-an-email"' in text
    assert '<option value="error_rate" selected>' in text
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize("target", ["ops@example.com", "ftp://example.com/x", "example.com"])
def test_webhook_targets_must_be_urls(client, owner, target):
    client.force_login(owner)
    response = client.post(
        URL,
        {
            "kind": "run_failed",
            "channel": "webhook",
            "target": target,
            "threshold": "20",
            "window_minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "Enter a valid http(s) URL." in response.content.decode()
    assert not AlertRule.objects.exists()


def test_private_webhook_urls_are_refused(client, owner, settings):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    client.force_login(owner)
    response = client.post(
        URL,
        {
            "kind": "run_failed",
            "channel": "slack",
            "target": "http://127.0.0.1:9/services/x",
            "threshold": "20",
            "window_minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "private or loopback address" in response.content.decode()
    assert not AlertRule.objects.exists()


def test_owner_toggles_deletes_and_tests(
    client, owner, workspace, django_capture_on_commit_callbacks
):
    rule = rule_of(workspace)
    client.force_login(owner)
    client.post(reverse("dashboard:alert_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.enabled
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard:alert_test", args=[rule.pk]), follow=True)
    notification = Notification.objects.get()
    assert notification.kind == "test" and notification.status == "sent"
    assert mail.outbox[0].to == ["ops@example.com"]
    text = response.content.decode()
    assert f'id="notification-{notification.pk}"' in text and "Test alert" in text
    client.post(reverse("dashboard:alert_delete", args=[rule.pk]))
    assert not AlertRule.objects.exists()
    # The log keeps the message of a deleted rule.
    assert Notification.objects.get().rule is None


def test_admin_may_manage(client, workspace, django_user_model):
    user = django_user_model.objects.create_user(username="adm", email="adm@example.com")
    Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    rule = rule_of(workspace)
    client.force_login(user)
    assert client.post(reverse("dashboard:alert_toggle", args=[rule.pk])).status_code == 302


@pytest.mark.parametrize("who", ["viewer", "operator"])
def test_viewers_and_operators_see_but_do_not_act(client, workspace, who, request):
    user = request.getfixturevalue(who)
    rule = rule_of(workspace)
    Notification.objects.create(
        workspace=workspace,
        rule=rule,
        channel="email",
        target="ops@example.com",
        subject="[Syncdeck] Run failed in X",
        body="…",
        status="sent",
    )
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "[Syncdeck] Run failed in X" in text
    assert 'id="add-rule"' not in text and "Send test" not in text
    for name in ("alert_toggle", "alert_delete", "alert_test"):
        assert client.post(reverse(f"dashboard:{name}", args=[rule.pk])).status_code == 403
    response = client.post(
        URL,
        {
            "kind": "run_failed",
            "channel": "email",
            "target": "x@example.com",
            "threshold": "20",
            "window_minutes": "60",
        },
    )
    assert response.status_code == 403
    assert AlertRule.objects.count() == 1 and AlertRule.objects.get().enabled


def test_it_checks_ownership(client, outsider, workspace):
    rule = rule_of(workspace)
    Notification.objects.create(
        workspace=workspace,
        rule=rule,
        channel="email",
        target="ops@example.com",
        subject="secret subject",
        body="…",
    )
    client.force_login(outsider)
    for name in ("alert_toggle", "alert_delete", "alert_test"):
        assert client.post(reverse(f"dashboard:{name}", args=[rule.pk])).status_code == 404
    text = client.get(URL).content.decode()
    assert "secret subject" not in text and "ops@example.com" not in text
    assert "secret subject" not in client.get(reverse("dashboard:alerts_log")).content.decode()
    assert AlertRule.objects.get().enabled


def test_the_log_hides_webhook_secrets(client, owner, workspace):
    url = "https://hooks.slack.com/services/T000/B000/SECRETxyz"
    rule = rule_of(workspace, channel="slack", target=url)
    Notification.objects.create(
        workspace=workspace,
        rule=rule,
        channel="slack",
        target=url,
        subject="s",
        body="{}",
        status="failed",
        error="HTTP 500: boom",
    )
    client.force_login(owner)
    text = client.get(URL).content.decode()
    assert "SECRETxyz" not in text
    assert "https://hooks.slack.com/services/…" in text
    assert "HTTP 500: boom" in text
    assert Workspace.objects.count() == 1


def test_the_log_partial(client, owner, workspace):
    rule_of(workspace)
    client.force_login(owner)
    response = client.get(reverse("dashboard:alerts_log"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="alerts-log"') and "<html" not in text
