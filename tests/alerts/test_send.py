"""Delivery over real HTTP to a local endpoint: webhook JSON, Slack text, failures, SSRF."""

from __future__ import annotations

import pytest
from django.core import mail

from integrations import alerts, tasks
from integrations.models import AlertRule, Notification
from tests.alerts.conftest import make_rule, make_run

pytestmark = pytest.mark.django_db


def test_it_posts_webhook_json(workspace, flow, evaluate, receiver):
    rule = make_rule(workspace, channel=AlertRule.Channel.WEBHOOK, target=receiver.url + "/hook")
    run = make_run(flow)
    evaluate()
    (got,) = receiver.received
    assert got["path"] == "/hook" and got["content_type"] == "application/json"
    document = got["json"]
    assert document["type"] == "opened"
    assert document["rule"]["id"] == rule.pk and document["rule"]["kind"] == "run_failed"
    assert document["incident"]["key"] == f"flow:{flow.pk}"
    assert document["summary"] == "Run failed in GHL → CRM / contacts"
    assert document["url"].endswith(f"/runs/{run.code}/")
    assert document["occurred_at"]
    notification = Notification.objects.get()
    assert notification.status == "sent" and notification.sent is not None
    assert mail.outbox == []


def test_it_posts_slack_text(workspace, flow, evaluate, receiver):
    make_rule(workspace, channel=AlertRule.Channel.SLACK, target=receiver.url + "/services/T/B/x")
    run = make_run(flow)
    evaluate()
    (got,) = receiver.received
    assert list(got["json"]) == ["text"]
    text = got["json"]["text"]
    assert "Run failed in GHL → CRM / contacts" in text.replace("&gt;", ">")
    assert f"/runs/{run.code}/|Open in Syncdeck>" in text


def test_a_failing_endpoint_is_retried_then_logged_failed(workspace, flow, evaluate, receiver):
    receiver.status = 500
    receiver.answer = b"receiver is down"
    make_rule(workspace, channel=AlertRule.Channel.WEBHOOK, target=receiver.url + "/hook")
    make_run(flow)
    evaluate()  # eager Celery runs the retries at once
    assert len(receiver.received) == tasks.ALERT_SEND_ATTEMPTS
    notification = Notification.objects.get()
    assert notification.status == "failed"
    assert notification.error == f"HTTP 500: receiver is down (attempt {tasks.ALERT_SEND_ATTEMPTS})"
    # Still one incident and one message: the next evaluation does not send again.
    evaluate()
    assert Notification.objects.count() == 1


def test_a_permanent_failure_is_not_retried(workspace, flow, evaluate, receiver):
    receiver.status = 404
    make_rule(workspace, channel=AlertRule.Channel.SLACK, target=receiver.url + "/services/x")
    make_run(flow)
    evaluate()
    assert len(receiver.received) == 1
    notification = Notification.objects.get()
    assert notification.status == "failed" and notification.error.startswith("HTTP 404")


def test_a_retry_that_succeeds_clears_the_error(workspace, flow, receiver):
    receiver.status = 503
    rule = make_rule(workspace, channel=AlertRule.Channel.WEBHOOK, target=receiver.url)
    notification = alerts.send_test(rule, lambda pk: None)
    first = alerts.deliver(notification.pk, attempt=1, last_attempt=False)
    assert first.retry and not first.ok
    notification.refresh_from_db()
    assert notification.status == "failed" and "trying again" in notification.error
    receiver.status = 200
    assert alerts.deliver(notification.pk, attempt=2, last_attempt=False).ok
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.error == ""
    # Delivered once: a duplicate task does not send it again.
    alerts.deliver(notification.pk)
    assert len(receiver.received) == 2


def test_private_targets_are_refused_when_not_allowed(
    workspace, flow, evaluate, receiver, settings
):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    make_rule(workspace, channel=AlertRule.Channel.WEBHOOK, target=receiver.url + "/hook")
    make_run(flow)
    evaluate()
    assert receiver.received == []
    notification = Notification.objects.get()
    assert notification.status == "failed"
    assert "private or loopback address" in notification.error


def test_the_slack_secret_stays_out_of_the_error(workspace, flow, evaluate, receiver):
    receiver.status = 400
    receiver.answer = b"invalid_token for /services/T000/B000/SECRETxyz"
    make_rule(
        workspace,
        channel=AlertRule.Channel.SLACK,
        target=receiver.url + "/services/T000/B000/SECRETxyz",
    )
    make_run(flow)
    evaluate()
    notification = Notification.objects.get()
    assert "SECRETxyz" not in notification.error


def test_a_test_message_goes_to_the_rules_channel(workspace, django_capture_on_commit_callbacks):
    rule = make_rule(workspace, target="me@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_test_alert(rule.pk)
    notification = Notification.objects.get()
    assert notification.kind == "test" and notification.status == "sent"
    assert mail.outbox[0].subject == "[Syncdeck] Test: Test alert: this channel works"


def test_alert_targets_are_encrypted_at_rest(db, workspace):  # type: ignore[no-untyped-def]
    from django.db import connection as db_connection

    from integrations.models import AlertRule

    url = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    rule = AlertRule.objects.create(
        workspace=workspace, kind="run_failed", channel="slack", target=url
    )
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT target FROM integrations_alertrule WHERE id = %s", [rule.pk])
        raw = cursor.fetchone()[0]
    assert "very-secret-token" not in raw
    assert AlertRule.objects.get(pk=rule.pk).target == url
