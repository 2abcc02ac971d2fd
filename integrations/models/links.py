from __future__ import annotations

from django.db import models


class RecordLink(models.Model):
    """The identity of one record across two apps, with what we last wrote to each side.

    `*_hash` is the hash of the fields we last wrote to (or read from) that side: equal
    hashes mean "unchanged, no write", and an event from a side whose mapped fields hash to
    what we wrote there is our own echo.
    """

    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="record_links"
    )
    object_type = models.CharField(max_length=32)
    left = models.ForeignKey("integrations.Connection", models.CASCADE, related_name="+")
    left_record = models.CharField(max_length=100)
    right = models.ForeignKey("integrations.Connection", models.CASCADE, related_name="+")
    right_record = models.CharField(max_length=100)
    # Fingerprint of each side: the field names compared and the hash of their values.
    left_keys = models.JSONField(default=list, blank=True)
    left_hash = models.CharField(max_length=64, blank=True)
    right_keys = models.JSONField(default=list, blank=True)
    right_hash = models.CharField(max_length=64, blank=True)
    # Which side the last sync wrote to ("left" or "right"): an event from that side that
    # matches its fingerprint is our own write coming back.
    written_side = models.CharField(max_length=5, blank=True)
    label = models.CharField(max_length=200, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(
        "integrations.Run", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when a sync deleted the target record: the link is kept (the record's history)
    # but claims nothing any more, so a later create writes the record again.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Values both sides agreed on at the last sync, by name (e.g. "tags": the tag set both
    # apps had): what lets the next sync tell an addition from a removal.
    synced_values = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "left", "left_record", "right"], name="link_unique_left"
            ),
            models.UniqueConstraint(
                fields=["object_type", "right", "right_record", "left"], name="link_unique_right"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.left_record} ↔ {self.right_record}"


class PollCursor(models.Model):
    """Where a polling flow stopped reading (e.g. the last dateUpdated seen)."""

    flow = models.OneToOneField("integrations.Flow", models.CASCADE, related_name="cursor")
    value = models.CharField(max_length=200, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"cursor of {self.flow}: {self.value or '(start)'}"
