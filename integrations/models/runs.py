from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from integrations.connectors.base import ErrorKind


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    RETRYING = "retrying", "Retrying"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING)
FINISHED_STATUSES = (
    RunStatus.SUCCEEDED,
    RunStatus.FAILED,
    RunStatus.SKIPPED,
    RunStatus.CANCELLED,
)

ERROR_KIND_CHOICES = [(kind.value, kind.value.replace("_", " ")) for kind in ErrorKind]


class Run(models.Model):
    """One trigger event going through one flow. A retry by an operator is a new Run."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("integrations.Workspace", models.CASCADE, related_name="runs")
    flow = models.ForeignKey("integrations.Flow", models.CASCADE, related_name="runs")
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=20, default="webhook")  # webhook|poll|manual|retry|…
    event_type = models.CharField(max_length=100, blank=True)
    webhook_event = models.ForeignKey(
        "integrations.WebhookEvent", models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    # Stops the same event from making two runs of one flow.
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    payload = models.JSONField(default=dict)
    # Searchable identity of the record this run is about.
    record_id = models.CharField(max_length=100, blank=True, db_index=True)
    record_label = models.CharField(max_length=200, blank=True)  # name / email
    attempt = models.PositiveSmallIntegerField(default=0)
    retry_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="retries"
    )
    error_kind = models.CharField(max_length=16, choices=ERROR_KIND_CHOICES, blank=True)
    error = models.TextField(blank=True)
    error_hint = models.CharField(max_length=300, blank=True)
    dismissed = models.BooleanField(default=False)
    backfill = models.ForeignKey(
        "integrations.Backfill", models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="run_unique_dedupe_per_flow",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "-created", "-id"]),
            models.Index(fields=["workspace", "status", "-created"]),
            models.Index(fields=["status", "lease_until"]),
            models.Index(
                fields=["workspace", "flow", "status", "-created"],
                name="run_ws_flow_status_created",
            ),
            # Covers the charts' per-bucket counts (SQLite reads it without the table).
            models.Index(
                fields=["workspace", "created", "flow", "status", "attempt", "trigger"],
                name="run_ws_created_chart",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.code} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class RunStep(models.Model):
    """One outside call made by a run: redacted request, response, duration."""

    run = models.ForeignKey(Run, models.CASCADE, related_name="steps")
    attempt = models.PositiveSmallIntegerField(default=1)
    step_key = models.CharField(max_length=40, blank=True)
    operation = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=8)
    url = models.TextField()
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "pk"]
        indexes = [models.Index(fields=["created"], name="runstep_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.url} → {self.response_status or self.error}"


class RunEvent(models.Model):
    """A log line of a run."""

    class Level(models.TextChoices):
        INFO = "info", "info"
        WARNING = "warning", "warning"
        ERROR = "error", "error"

    run = models.ForeignKey(Run, models.CASCADE, related_name="events")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "pk"]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message[:80]}"
