"""The TIMIFY simulator's rows: one config, tokens, customer fields, customers,
appointments ("events" in TIMIFY's webhook words) and outbound webhook deliveries."""

from __future__ import annotations

import secrets

from django.db import models


def mongo_id() -> str:
    """TIMIFY ids are MongoDB ObjectIds: 24 hex characters."""
    return secrets.token_hex(12)


class TimifyConfig(models.Model):
    """A single row (pk=1): the app's credentials, the company, the webhook, faults."""

    app_id = models.CharField(max_length=100, default="timify-demo-app")
    app_secret = models.CharField(max_length=200, default="timify-demo-secret")
    company_id = models.CharField(max_length=24, default="5f1c2a3b4c5d6e7f80910a1b")
    token_ttl_seconds = models.IntegerField(default=3600)
    webhook_url = models.CharField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    error_rate = models.FloatField(default=0.0)
    rate_429 = models.FloatField(default=0.0)
    slow_rate = models.FloatField(default=0.0)
    slow_ms = models.IntegerField(default=0)

    def __str__(self) -> str:
        return "TIMIFY (sandbox) config"

    @classmethod
    def load(cls) -> TimifyConfig:
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class TimifyToken(models.Model):
    token = models.CharField(max_length=200, unique=True)
    expires_at = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token until {self.expires_at:%Y-%m-%d %H:%M}"


class TimifyCustomField(models.Model):
    """A customer field: even first name and email are fields (`default_id` names those)."""

    id = models.CharField(primary_key=True, max_length=24, default=mongo_id)
    label = models.CharField(max_length=200)
    type = models.CharField(max_length=20, default="TEXT")  # TEXT | EMAIL | PHONE | TEXTAREA
    default_id = models.CharField(max_length=40, blank=True)  # firstName, email, … or ""
    position = models.IntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class TimifyCustomer(models.Model):
    id = models.CharField(primary_key=True, max_length=24, default=mongo_id)
    external_id = models.CharField(max_length=200, null=True, blank=True, db_index=True)  # noqa: DJ001
    values = models.JSONField(default=dict, blank=True)  # custom field id → value
    total_bookings = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.id


class TimifyAppointment(models.Model):
    id = models.CharField(primary_key=True, max_length=24, default=mongo_id)
    external_id = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300, blank=True)
    start = models.DateTimeField()  # company time, stored naive-as-UTC
    duration = models.IntegerField(default=30)
    service_id = models.CharField(max_length=100, blank=True)
    external_service_id = models.CharField(max_length=100, blank=True)
    resource_ids = models.JSONField(default=list, blank=True)
    external_resource_ids = models.JSONField(default=list, blank=True)
    customer = models.ForeignKey(
        TimifyCustomer, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]

    def __str__(self) -> str:
        return f"{self.title or self.id} at {self.start:%Y-%m-%d %H:%M}"


class TimifyDelivery(models.Model):
    url = models.CharField(max_length=500)
    event_id = models.CharField(max_length=60)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=20, default="pending")  # pending|ok|retrying|failed
    attempts = models.IntegerField(default=0)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.url}"
