"""Deliver one notification (email, webhook, Slack) and record the attempt on it.

All HTTP goes through connectors.http with the SSRF guard on: the URLs are user-given.
A transient failure (timeout, 5xx, 429, SMTP trouble) is worth another attempt, which the
Celery task schedules; the notification shows "failed" with the error meanwhile and stays
so when the attempts run out.
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from integrations.connectors import http
from integrations.connectors.base import ConnectorError
from integrations.models import AlertRule, Notification

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    ok: bool
    retry: bool = False  # a transient failure: another attempt may succeed


class DeliveryError(Exception):
    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    return [s for s in (parts.path, parts.query) if len(s) >= 4]


def _send_email(notification: Notification) -> None:
    try:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.target],
            fail_silently=False,
        )
    except (smtplib.SMTPException, OSError) as exc:
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
        raise DeliveryError(f"email not sent: {exc}", transient=not permanent) from exc


def _post_json(notification: Notification) -> None:
    try:
        http.request(
            "POST",
            notification.target,
            json_body=json.loads(notification.body),
            guard=True,
            secrets=_url_secrets(notification.target),
            timeout=(5.0, 10.0),
        )
    except ConnectorError as exc:
        message = http.redact_text(exc.message, _url_secrets(notification.target))
        raise DeliveryError(message, transient=not exc.permanent) from exc


SENDERS = {
    AlertRule.Channel.EMAIL: _send_email,
    AlertRule.Channel.WEBHOOK: _post_json,
    AlertRule.Channel.SLACK: _post_json,
}


def deliver(notification_id: int, attempt: int = 1, last_attempt: bool = True) -> Delivery:
    """Send one notification unless it was sent already; record how it went."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status == Notification.Status.SENT:
        return Delivery(ok=True)
    sender = SENDERS.get(notification.channel)  # type: ignore[call-overload]
    try:
        if sender is None:
            raise DeliveryError(f"unknown channel {notification.channel!r}", transient=False)
        sender(notification)
    except DeliveryError as exc:
        retry = exc.transient and not last_attempt
        note = f" (attempt {attempt}; trying again)" if retry else f" (attempt {attempt})"
        error = exc.message[: 500 - len(note)] + note
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, error=error
        )
        log.warning("alert notification %s failed: %s", notification.pk, error)
        return Delivery(ok=False, retry=retry)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT, sent=timezone.now(), error=""
    )
    return Delivery(ok=True)
