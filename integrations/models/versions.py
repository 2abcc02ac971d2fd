from __future__ import annotations

from django.conf import settings
from django.db import models


class IntegrationVersion(models.Model):
    """A published snapshot of an integration's flows, steps and mappings."""

    integration = models.ForeignKey(
        "integrations.Integration", models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    snapshot = models.JSONField(default=dict)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["integration", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "number"], name="unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.integration} v{self.number}"


class Backfill(models.Model):
    """Syncing the existing records of a flow's source once, with progress."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    flow = models.ForeignKey("integrations.Flow", models.CASCADE, related_name="backfills")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    # The source is still being read page by page (total grows): not finished even when
    # every run queued so far has ended.
    listing = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started"]

    def __str__(self) -> str:
        return f"backfill of {self.flow} ({self.status})"
