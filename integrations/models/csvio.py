"""CSV batches (imports of an app's export file, exports for an app's import screen) and a
small key → JSON store for connector state that does not fit a poll cursor."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """One CSV file imported into HighLevel, or one export of HighLevel contacts to CSV.

    An import's rows are ImportRow records (their result each); workers process them in
    chunks and the counts here are the progress bar.
    """

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (mapping not chosen)"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="csv_batches"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.IMPORT)
    # The app whose file it is (Time To Pet, PT Distinction…) and the HighLevel connection.
    source = models.ForeignKey("integrations.Connection", models.CASCADE, related_name="+")
    target = models.ForeignKey("integrations.Connection", models.CASCADE, related_name="+")
    object_name = models.CharField(max_length=40)
    filename = models.CharField(max_length=200, blank=True)
    # [[key, header], …] in file order; rows are stored by key.
    columns = models.JSONField(default=list, blank=True)
    # {"rules": [mapping rules], "note_columns": [keys]} (import) or
    # {"columns": [[path, header], …]} (export).
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    # An export's file (UTF-8 CSV text).
    output = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename or self.object_name} ({self.status})"

    @property
    def processed(self) -> int:
        return self.created_count + self.updated_count + self.failed_count

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportRow(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(ImportBatch, models.CASCADE, related_name="rows")
    # The line of the file the row starts on (the header is line 1).
    line = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(max_length=500, blank=True)
    target_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="csv_row_unique_line")
        ]
        indexes = [models.Index(fields=["batch", "status"], name="csv_row_status")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.status}"


class ConnectorState(models.Model):
    """What a connector remembers between polls beyond a 200-character cursor (a feed's
    ETag and the occurrences it saw last time), one JSON document per key."""

    connection = models.ForeignKey("integrations.Connection", models.CASCADE, related_name="states")
    key = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="connector_state_key")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}:{self.key}"
