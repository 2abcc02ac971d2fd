"""The stand-in for the Zapier side of PT Distinction: where its Zaps post, what they post,
and what its Catch Hooks received."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ZapConfig(models.Model):
    """One row: the Zaps' "Webhooks by Zapier (POST)" target and secret header, and the
    Catch Hook's fault switch (sandbox/kit/faults.py)."""

    target_url = models.URLField(max_length=1000, blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    error_rate = models.FloatField(default=0)
    rate_429 = models.FloatField(default=0)
    slow_rate = models.FloatField(default=0)
    slow_ms = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"Zaps post to {self.target_url or '(nowhere)'}"

    @classmethod
    def load(cls) -> ZapConfig:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class ZapDelivery(models.Model):
    """One POST a Zap made to the target (a PT Distinction trigger's delivery)."""

    trigger = models.CharField(max_length=64)
    url = models.URLField(max_length=1000)
    body = models.TextField()
    status_code = models.IntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.trigger} -> {self.url}"


class CaughtHook(models.Model):
    """One request a Catch Hook received (the "Add Client" Zap's trigger)."""

    hook = models.CharField(max_length=200, db_index=True)
    request_id = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"caught {self.request_id} on {self.hook}"
