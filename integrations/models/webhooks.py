from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from integrations.connectors.registry import kind_choices


class WebhookSource(models.TextChoices):
    GHL = "ghl", "HighLevel"
    REST = "rest", "Your App (REST / webhooks)"


class SignatureVerdict(models.TextChoices):
    VALID_ED25519 = "valid_ed25519", "Valid (Ed25519)"
    VALID_RSA = "valid_rsa", "Valid (legacy RSA)"
    VALID_HMAC = "valid_hmac", "Valid (HMAC-SHA256)"
    VALID_SECRET = "valid_secret", "Valid (shared secret)"
    INVALID = "invalid", "Invalid"
    MISSING = "missing", "Missing"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IGNORED = "ignored", "Ignored"
    DUPLICATE = "duplicate", "Duplicate"
    REJECTED = "rejected", "Rejected"
    PROCESSED = "processed", "Processed"


# Rows that "own" their dedupe key: a duplicate or a rejected (forged, stale) delivery
# never blocks or replaces the genuine event.
_OWNS_KEY = [WebhookStatus.RECEIVED, WebhookStatus.IGNORED, WebhookStatus.PROCESSED]


class WebhookEvent(models.Model):
    """One inbound webhook delivery, stored exactly as it arrived before anything else."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "integrations.Workspace",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    connection = models.ForeignKey(
        "integrations.Connection",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    source_kind = models.CharField(max_length=32, choices=kind_choices)
    event_type = models.CharField(max_length=100, blank=True)
    # The sender's delivery id (GHL: webhookId); empty when the payload had none.
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    raw_body = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    signature_verdict = models.CharField(max_length=16, choices=SignatureVerdict.choices)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=16, choices=WebhookStatus.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_kind", "dedupe_key"],
                condition=~Q(dedupe_key="") & Q(status__in=_OWNS_KEY),
                name="webhookevent_unique_dedupe_key",
            )
        ]
        indexes = [models.Index(fields=["source_kind", "dedupe_key"])]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.event_type or '?'} ({self.status})"
