from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class RetryBatch(models.Model):
    """One "Retry all": the failed runs it retries, queued by a worker in small chunks at
    the apps' rate budgets, followed on a progress page and cancellable until done
    (integrations/retrying.py)."""

    class Status(models.TextChoices):
        QUEUEING = "queueing", "Queueing retries"
        QUEUED = "queued", "All retries queued"
        CANCELLED = "cancelled", "Cancelled"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="retry_batches"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True)
    # The failed runs to retry, oldest first, and how many of them are queued so far.
    source_runs = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUEING)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Retry of {self.total} runs ({self.status})"
