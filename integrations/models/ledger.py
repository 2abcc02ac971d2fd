"""Two-way sync without silent overwrites: the conflict policy of an integration, the
conflicts a run found (field by field), and each record's history (the ledger)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Policy(models.TextChoices):
    GHL = "ghl", "HighLevel wins"
    OTHER = "other", "The other app wins"
    NEWEST = "newest", "The newest change wins"
    ASK = "ask", "Ask me (conflict queue)"


class Direction(models.TextChoices):
    BOTH = "both", "Both ways"
    FROM_GHL = "from_ghl", "Only from HighLevel"
    TO_GHL = "to_ghl", "Only into HighLevel"


class SyncPolicy(models.Model):
    """How an integration settles a field changed in both apps since the last sync.

    `fields` overrides per field (named as HighLevel names it, e.g. "phone"):
    {"phone": {"policy": "ask", "direction": "both"}}.
    """

    integration = models.OneToOneField(
        "integrations.Integration", models.CASCADE, related_name="sync_policy"
    )
    default = models.CharField(max_length=8, choices=Policy.choices, default=Policy.NEWEST)
    fields = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"policy of {self.integration}: {self.default}"

    def policy_for(self, field: str) -> str:
        value = ((self.fields or {}).get(field) or {}).get("policy")
        return value if value in Policy.values else self.default

    def direction_for(self, field: str) -> str:
        value = ((self.fields or {}).get(field) or {}).get("direction")
        return value if value in Direction.values else Direction.BOTH


class ConflictStatus(models.TextChoices):
    OPEN = "open", "Waiting for you"
    RESOLVED = "resolved", "Resolved by a person"
    AUTO = "auto", "Settled by the policy"


class Conflict(models.Model):
    """One field of one linked record changed in both apps to different values."""

    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="conflicts"
    )
    integration = models.ForeignKey(
        "integrations.Integration", models.CASCADE, related_name="conflicts"
    )
    link = models.ForeignKey("integrations.RecordLink", models.CASCADE, related_name="conflicts")
    # The field as HighLevel names it (what policies and filters use), and on each side.
    field = models.CharField(max_length=100)
    left_field = models.CharField(max_length=100)
    right_field = models.CharField(max_length=100)
    base_value = models.JSONField(null=True, blank=True)  # what both had at the last sync
    left_value = models.JSONField(null=True, blank=True)
    right_value = models.JSONField(null=True, blank=True)
    left_changed_at = models.DateTimeField(null=True, blank=True)
    right_changed_at = models.DateTimeField(null=True, blank=True)
    # The run that saw each side's change (one run reads both: it is the same run then).
    left_run = models.ForeignKey(
        "integrations.Run", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    right_run = models.ForeignKey(
        "integrations.Run", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=ConflictStatus.choices, default=ConflictStatus.OPEN, db_index=True
    )
    policy = models.CharField(max_length=8, choices=Policy.choices)
    winner = models.CharField(max_length=8, blank=True)  # "left" | "right" | "value"
    resolved_value = models.JSONField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_run = models.ForeignKey(
        "integrations.Run", models.SET_NULL, null=True, blank=True, related_name="resolutions"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "field"],
                condition=models.Q(status="open"),
                name="conflict_one_open_per_field",
            )
        ]
        indexes = [models.Index(fields=["workspace", "status", "-created"])]

    def __str__(self) -> str:
        return f"{self.field} of {self.link}: {self.status}"

    def value_of(self, side: str) -> Any:
        return self.left_value if side == "left" else self.right_value


class LedgerKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"
    CONFLICT = "conflict", "Conflict"
    RESOLVED = "resolved", "Resolved"


class LedgerEntry(models.Model):
    """One change to one linked record: only the fields that changed, before → after."""

    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="ledger_entries"
    )
    link = models.ForeignKey(
        "integrations.RecordLink", models.CASCADE, related_name="ledger_entries"
    )
    run = models.ForeignKey(
        "integrations.Run", models.SET_NULL, null=True, blank=True, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=8, choices=LedgerKind.choices)
    # The app written to (or, for a conflict, the app whose value lost or waits).
    app = models.ForeignKey(
        "integrations.Connection", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    record_id = models.CharField(max_length=100, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [before, after]}
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["link", "-created"], name="ledger_link_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}: {', '.join(self.changes)}"
