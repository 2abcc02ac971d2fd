from __future__ import annotations

import uuid
from typing import Any

from django.db import models


class IntegrationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class Integration(models.Model):
    """A named pairing of connections in a workspace; holds flows; paused and versioned."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="integrations"
    )
    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=8, choices=IntegrationStatus.choices, default=IntegrationStatus.ACTIVE
    )
    paused_reason = models.CharField(max_length=300, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # The wizard's unsaved work between steps (which apps, template, mappings…).
    draft = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == IntegrationStatus.ACTIVE


class TriggerKind(models.TextChoices):
    WEBHOOK = "webhook", "App event (webhook)"
    POLL = "poll", "Polling"
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Manual"


class Flow(models.Model):
    """One trigger and an ordered list of steps."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    integration = models.ForeignKey(Integration, models.CASCADE, related_name="flows")
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    # The app the trigger watches.
    source = models.ForeignKey(
        "integrations.Connection", models.PROTECT, related_name="source_flows"
    )
    trigger_kind = models.CharField(max_length=10, choices=TriggerKind.choices)
    # webhook: {"events": ["ContactCreate", …]}; poll: {"operation": …, "interval_minutes": 5}
    trigger_config = models.JSONField(default=dict, blank=True)
    # Object kind the flow syncs ("contact", "task", "note"), for record links.
    object_type = models.CharField(max_length=32, default="contact")
    max_attempts = models.PositiveSmallIntegerField(default=6)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["integration", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def workspace(self) -> Any:
        return self.integration.workspace

    def listens_to(self, event_type: str) -> bool:
        return self.trigger_kind == TriggerKind.WEBHOOK and event_type in self.trigger_config.get(
            "events", []
        )


class Step(models.Model):
    """One operation of an app's catalog, fed by a field mapping.

    `mapping` is declarative data: [{"target": "email", "source": "trigger.email",
    "transforms": [["trim"], ["lower"]]}, {"target": "tags", "const": ["from-ghl"]}, …].
    Record steps (`record_mode` set) resolve identity through RecordLinks: create when
    no link exists (after a dedupe lookup), update when one does, skip when unchanged.
    """

    class RecordMode(models.TextChoices):
        NONE = "", "Plain action"
        SYNC = "sync", "Create or update the linked record"
        DELETE = "delete", "Delete the linked record"
        TAGS = "tags", "Add and remove tags on the linked record"

    flow = models.ForeignKey(Flow, models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(max_length=40)
    connection = models.ForeignKey("integrations.Connection", models.PROTECT, related_name="steps")
    operation = models.CharField(max_length=100)
    # Used by record steps when a link exists / to delete.
    update_operation = models.CharField(max_length=100, blank=True)
    record_mode = models.CharField(max_length=8, choices=RecordMode.choices, blank=True)
    # Where the source record's id is in the run context (e.g. "trigger.id").
    source_id_path = models.CharField(max_length=200, blank=True, default="trigger.id")
    # Where the written record's id is in the response (e.g. "contact.id" or "id").
    result_id_path = models.CharField(max_length=200, blank=True, default="id")
    # Parameter name that carries the target id for update/delete operations.
    target_id_param = models.CharField(max_length=60, blank=True, default="id")
    mapping = models.JSONField(default=list, blank=True)
    # Operation parameters (path/query) from constants or source paths: {"contactId": "…"}
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["flow", "position"]
        constraints = [models.UniqueConstraint(fields=["flow", "key"], name="unique_step_key")]

    def __str__(self) -> str:
        return f"{self.flow}: {self.key}"
