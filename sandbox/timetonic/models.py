"""TimeTonic as its simulator keeps it: users, keys and sessions, books, smart tables with
typed fields, rows, "Call an API" automations and their deliveries.

Ids are numbers, as TimeTonic's are (a table's `catId`, a field's id, a row's id).
"""

from __future__ import annotations

from django.db import models

FIELD_TYPES = (
    "shorttext",
    "mediumtext",
    "email",
    "phone",
    "date",
    "link",
    "boolean",
    "int",
)


class TTConfig(models.Model):
    """The simulator's switches (one row): fault rates and forced answers."""

    error_rate = models.FloatField(default=0)
    rate_429 = models.FloatField(default=0)
    slow_rate = models.FloatField(default=0)
    slow_ms = models.IntegerField(default=0)
    # Share of writes answered `nok` with a MySQL deadlock message (official clients retry).
    deadlock_rate = models.FloatField(default=0)
    # The next `forced_count` API calls answer nok with this code and message.
    forced_code = models.CharField(max_length=100, blank=True)
    forced_msg = models.CharField(max_length=300, blank=True)
    forced_count = models.IntegerField(default=0)
    api_requests = models.IntegerField(default=0)

    def __str__(self) -> str:
        return "TimeTonic simulator settings"

    @classmethod
    def load(cls) -> TTConfig:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class TTUser(models.Model):
    o_u = models.CharField(max_length=100, unique=True)
    login = models.CharField(max_length=200, unique=True)
    password = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return self.o_u


class TTAppkey(models.Model):
    appname = models.CharField(max_length=200)
    appkey = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.appname


class TTOauthkey(models.Model):
    user = models.ForeignKey(TTUser, models.CASCADE, related_name="oauthkeys")
    appkey = models.ForeignKey(TTAppkey, models.CASCADE, related_name="oauthkeys")
    oauthkey = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return f"oauthkey of {self.user_id}"


class TTSession(models.Model):
    user = models.ForeignKey(TTUser, models.CASCADE, related_name="sessions")
    sesskey = models.CharField(max_length=100, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of {self.user_id}"


class TTBook(models.Model):
    b_c = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(TTUser, models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    sstamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.b_c


class TTTable(models.Model):
    book = models.ForeignKey(TTBook, models.CASCADE, related_name="tables")
    name = models.CharField(max_length=200)
    last_modified = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class TTField(models.Model):
    table = models.ForeignKey(TTTable, models.CASCADE, related_name="fields")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=[(t, t) for t in FIELD_TYPES])
    # For a link field: the table its values point at.
    link_table = models.ForeignKey(
        TTTable, models.SET_NULL, null=True, blank=True, related_name="linked_by"
    )
    position = models.IntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class TTRow(models.Model):
    table = models.ForeignKey(TTTable, models.CASCADE, related_name="rows")
    # {"<field id>": value}; a link field holds a list of row ids.
    values = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"row {self.pk}"


class TTAutomation(models.Model):
    """A "Call an API" automation: POST to `url` with a bearer token when a row of `table`
    is created or changed."""

    table = models.ForeignKey(TTTable, models.CASCADE, related_name="automations")
    url = models.URLField(max_length=500)
    token = models.CharField(max_length=300, blank=True)
    # The body's "event" is "<event_prefix>.created" or "<event_prefix>.updated".
    event_prefix = models.CharField(max_length=50, default="row")
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"automation {self.event_prefix} → {self.url}"


class TTDelivery(models.Model):
    automation = models.ForeignKey(
        TTAutomation, models.SET_NULL, null=True, related_name="deliveries"
    )
    url = models.URLField(max_length=500)
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
        return f"delivery {self.pk} ({self.state})"
