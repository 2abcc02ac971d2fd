from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from integrations.fields import EncryptedTextField


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        RUN_FAILED = "run_failed", "A run fails after its retries"
        CONNECTION_REAUTH = "connection_reauth", "A connection needs re-authorisation"
        ERROR_RATE = "error_rate", "Error rate above a threshold"
        CONNECTION_CHECK = "connection_check", "A connection's health check fails"
        CONFLICTS = "conflicts", "Field conflicts wait in the conflict queue"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook (JSON POST)"
        SLACK = "slack", "Slack incoming webhook"

    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="alert_rules"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    # An email address, or a URL for webhook/Slack (often a secret: stored encrypted).
    target = EncryptedTextField()
    # error_rate: percent of finished runs that failed over `window_minutes`.
    threshold = models.FloatField(default=20.0)
    window_minutes = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    # Muted: incidents still open and recover, their messages are recorded as "muted"
    # (the rule's history shows them) and nothing is sent until this time.
    muted_until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.get_channel_display()} {self.target}"

    def muted(self, now: datetime | None = None) -> bool:
        return self.muted_until is not None and self.muted_until > (now or timezone.now())


class AlertIncident(models.Model):
    """One problem an alert rule saw: alerted once when it opens, once when it recovers."""

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="incidents")
    # What the incident is about, e.g. "flow:12", "connection:3", "run:uuid".
    key = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    opened = models.DateTimeField(auto_now_add=True)
    resolved = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key"],
                condition=models.Q(resolved__isnull=True),
                name="one_open_incident_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.summary


class Notification(models.Model):
    """One alert message sent (or attempted): the alerts log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        MUTED = "muted", "Muted (not sent)"

    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="notifications"
    )
    rule = models.ForeignKey(AlertRule, models.SET_NULL, null=True, related_name="notifications")
    incident = models.ForeignKey(
        AlertIncident, models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=10, default="opened")  # opened | recovered | test
    channel = models.CharField(max_length=10)
    target = EncryptedTextField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.subject
