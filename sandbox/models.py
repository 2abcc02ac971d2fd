"""Storage of the simulated HighLevel (GHL) service.

Everything here belongs to the fake external service: the product never reads these
tables, it only talks to the sandbox over HTTP.
"""

from __future__ import annotations

import secrets
import string

from django.db import models
from django.utils import timezone

_ID_ALPHABET = string.ascii_letters + string.digits


def ghl_id() -> str:
    """A 20-character id shaped like GHL's (Firestore-style) ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def now_ms():
    """Now, truncated to milliseconds (GHL timestamps carry ms; cursors compare exactly)."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class SandboxLocation(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    company_id = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="America/New_York")
    # The location's "Allow Duplicate Contact" setting (GHL default: off).
    allow_duplicate_contact = models.BooleanField(default=False)
    created = models.DateTimeField(default=now_ms)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class SandboxUser(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    company_id = models.CharField(max_length=32)
    location = models.ForeignKey(
        SandboxLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=32, default="user")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class SandboxBusiness(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    created = models.DateTimeField(default=now_ms)

    def __str__(self) -> str:
        return self.name


class SandboxCampaign(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=32, default="published")

    def __str__(self) -> str:
        return self.name


class SandboxWorkflow(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=ghl_id)
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=32, default="published")
    created = models.DateTimeField(default=now_ms)

    def __str__(self) -> str:
        return self.name


class SandboxCustomField(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    field_key = models.CharField(max_length=200)  # e.g. "contact.membership_level"
    data_type = models.CharField(max_length=32, default="TEXT")
    picklist_options = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "field_key"], name="sb_cf_loc_key")
        ]

    def __str__(self) -> str:
        return self.field_key


class SandboxContact(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=400, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    company_name = models.CharField(max_length=200, blank=True)
    address1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=8, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    website = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=32, default="lead")
    gender = models.CharField(max_length=16, blank=True)
    assigned_to = models.CharField(max_length=32, blank=True)
    business_id = models.CharField(max_length=32, blank=True)
    date_of_birth = models.CharField(max_length=32, blank=True)
    dnd = models.BooleanField(default=False)
    dnd_settings = models.JSONField(default=dict, blank=True)
    inbound_dnd_settings = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # ",tag one,tag two," in lower case: lets search filter tags in SQL on any backend.
    tags_text = models.TextField(blank=True, default="")
    custom_fields = models.JSONField(default=dict, blank=True)  # {fieldId: value}
    date_added = models.DateTimeField(default=now_ms, db_index=True)
    date_updated = models.DateTimeField(default=now_ms, db_index=True)
    campaigns = models.ManyToManyField(SandboxCampaign, blank=True, related_name="contacts")
    workflows = models.ManyToManyField(SandboxWorkflow, blank=True, related_name="contacts")

    class Meta:
        indexes = [models.Index(fields=["location", "date_updated", "id"], name="sb_contact_upd")]

    def __str__(self) -> str:
        return self.name or self.email or self.id

    def set_tags(self, tags: list[str]) -> None:
        seen: list[str] = []
        for tag in tags:
            tag = str(tag).strip().lower()  # GHL stores tags in lower case
            if tag and tag not in seen:
                seen.append(tag)
        self.tags = seen
        self.tags_text = "," + ",".join(seen) + "," if seen else ""


class SandboxFollower(models.Model):
    contact = models.ForeignKey(SandboxContact, on_delete=models.CASCADE, related_name="followers")
    user_id = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "user_id"], name="sb_follower_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.contact_id}"


class SandboxTask(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    contact = models.ForeignKey(SandboxContact, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    assigned_to = models.CharField(max_length=32, blank=True)
    due_date = models.DateTimeField()
    completed = models.BooleanField(default=False)
    date_added = models.DateTimeField(default=now_ms)
    date_updated = models.DateTimeField(default=now_ms)

    def __str__(self) -> str:
        return self.title


class SandboxNote(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    contact = models.ForeignKey(SandboxContact, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    title = models.CharField(max_length=300, blank=True)
    color = models.CharField(max_length=16, blank=True)
    pinned = models.BooleanField(default=False)
    user_id = models.CharField(max_length=32, blank=True)
    date_added = models.DateTimeField(default=now_ms)
    date_updated = models.DateTimeField(default=now_ms)

    def __str__(self) -> str:
        return self.body[:50]


class SandboxCalendar(models.Model):
    """A calendar of a location (calendars.json CalendarDTO, the fields we serve)."""

    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    location = models.ForeignKey(
        SandboxLocation, on_delete=models.CASCADE, related_name="calendars"
    )
    group_id = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    slug = models.CharField(max_length=200, blank=True)
    calendar_type = models.CharField(max_length=32, default="event")
    event_color = models.CharField(max_length=16, default="#039be5")
    slot_duration = models.IntegerField(default=30)  # minutes
    is_active = models.BooleanField(default=True)
    team_members = models.JSONField(default=list, blank=True)  # user ids
    created = models.DateTimeField(default=now_ms)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SandboxAppointment(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ghl_id)
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    contact = models.ForeignKey(
        SandboxContact, on_delete=models.CASCADE, related_name="appointments"
    )
    # A SandboxCalendar id (not a foreign key: rows seeded before calendars existed keep
    # the random id they were given).
    calendar_id = models.CharField(max_length=32, default=ghl_id)
    group_id = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=300)
    # The event's status on GET /contacts/{id}/appointments ("booked").
    status = models.CharField(max_length=32, default="booked")
    # appointmentStatus: new | confirmed | cancelled | showed | noshow | invalid.
    appointment_status = models.CharField(max_length=16, default="confirmed")
    assigned_user_id = models.CharField(max_length=32, blank=True)
    notes = models.TextField(blank=True)
    description = models.TextField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    meeting_location_type = models.CharField(max_length=16, default="default")
    source = models.CharField(max_length=64, blank=True)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    date_added = models.DateTimeField(default=now_ms)
    date_updated = models.DateTimeField(default=now_ms)

    def __str__(self) -> str:
        return self.title


# --- OAuth ----------------------------------------------------------------------------


class SandboxOAuthCode(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=200)
    redirect_uri = models.TextField()
    scopes = models.TextField()  # space-separated
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    user_id = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.location_id}"


class SandboxToken(models.Model):
    ACCESS = "access"
    REFRESH = "refresh"
    KIND_CHOICES = [(ACCESS, "access"), (REFRESH, "refresh")]

    token_hash = models.CharField(max_length=64, unique=True)  # sha256 hex, never the token
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    client_id = models.CharField(max_length=200)
    user_type = models.CharField(max_length=16, default="Location")  # Location | Company
    location = models.ForeignKey(SandboxLocation, null=True, blank=True, on_delete=models.CASCADE)
    company_id = models.CharField(max_length=32)
    user_id = models.CharField(max_length=32, blank=True)
    scopes = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)  # refresh tokens are single-use

    def __str__(self) -> str:
        return f"{self.kind} token ({self.user_type})"


class SandboxPrivateIntegrationToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, default="Sandbox PIT")
    location = models.ForeignKey(SandboxLocation, on_delete=models.CASCADE)
    scopes = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class SandboxTokenGrant(models.Model):
    """One row per successful /oauth/token call (tests count refreshes with it)."""

    grant_type = models.CharField(max_length=32)
    client_id = models.CharField(max_length=200)
    location_id = models.CharField(max_length=32, blank=True)
    user_type = models.CharField(max_length=16, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.grant_type} @ {self.created}"


# --- Webhooks -------------------------------------------------------------------------


class SandboxWebhookSubscription(models.Model):
    url = models.URLField(max_length=1000)
    location = models.ForeignKey(
        SandboxLocation, null=True, blank=True, on_delete=models.CASCADE
    )  # null: every location
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url


class SandboxWebhookDelivery(models.Model):
    url = models.URLField(max_length=1000)
    event_type = models.CharField(max_length=64)
    webhook_id = models.CharField(max_length=64, db_index=True)
    location_id = models.CharField(max_length=32, blank=True)
    payload = models.JSONField(default=dict)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.IntegerField(default=0)
    state = models.CharField(max_length=16, default="pending")  # pending|retrying|ok|failed
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.url}"


# --- Limits and faults ----------------------------------------------------------------


class SandboxRateCounter(models.Model):
    """Fixed-window request counters, shared by every process through the database."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # window index (ms // interval) or day number
    kind = models.CharField(max_length=8)  # "burst" | "daily"
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "kind", "window"], name="sb_rate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.kind}:{self.window}"


class SandboxSettings(models.Model):
    """A single row (pk=1): runtime fault injection and rate-limit overrides."""

    error_rate = models.FloatField(default=0.0)  # share answered 500/502/503
    rate_429 = models.FloatField(default=0.0)  # share answered 429
    slow_rate = models.FloatField(default=0.0)  # share delayed by slow_ms
    slow_ms = models.IntegerField(default=2000)
    # Null means "use the Django setting" (SANDBOX_GHL_RATE_MAX etc.).
    rate_max = models.IntegerField(null=True, blank=True)
    rate_interval_ms = models.IntegerField(null=True, blank=True)
    rate_daily = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return "Sandbox settings"

    @classmethod
    def load(cls) -> SandboxSettings:
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# --- Your App (demo): a small generic app Syncdeck syncs GHL contacts into ---------------


def yourapp_contact_id() -> str:
    """ "ya_" and 12 random lower-case letters and digits."""
    alphabet = string.ascii_lowercase + string.digits
    return "ya_" + "".join(secrets.choice(alphabet) for _ in range(12))


class SandboxYourAppConfig(models.Model):
    """A single row (pk=1): credentials, outbound subscribers and fault injection."""

    api_key = models.CharField(max_length=200, default="yourapp-demo-key")
    webhook_secret = models.CharField(max_length=200, default="whsec_yourapp_demo_secret")
    subscribers = models.JSONField(default=list, blank=True)  # outbound event URLs
    error_rate = models.FloatField(default=0.0)  # share answered 503
    rate_429 = models.FloatField(default=0.0)  # share answered 429
    slow_rate = models.FloatField(default=0.0)  # share delayed by slow_ms
    slow_ms = models.IntegerField(default=0)

    def __str__(self) -> str:
        return "Your App (demo) config"

    @classmethod
    def load(cls) -> SandboxYourAppConfig:
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class SandboxYourAppContact(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=yourapp_contact_id)
    # The API distinguishes null (never set) from "": the contract says str|null.
    external_id = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True, db_index=True
    )
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    email_lower = models.CharField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=60, blank=True)
    company = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now_ms)
    updated_at = models.DateTimeField(default=now_ms, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email_lower"],
                condition=~models.Q(email_lower=""),
                name="sb_ya_contact_email_unique",
            )
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="sb_ya_contact_upd")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.id


class SandboxYourAppEvent(models.Model):
    """One row per delivery received on /hooks/syncdeck (faulted requests are not stored)."""

    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"
    STALE = "stale"
    SIGNATURE_CHOICES = [(v, v) for v in (VALID, INVALID, MISSING, STALE)]

    event_id = models.CharField(max_length=200, blank=True, db_index=True)
    # Set to event_id on the first validly signed delivery of an id: the unique constraint
    # makes duplicate detection correct across processes.
    first_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    type = models.CharField(max_length=100, blank=True)
    raw_body = models.TextField(blank=True)
    signature = models.CharField(max_length=16, choices=SIGNATURE_CHOICES)
    duplicate = models.BooleanField(default=False)
    status_code = models.IntegerField(default=200)  # what the app answered
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.signature})"


class SandboxYourAppDelivery(models.Model):
    """One outbound event delivery to one subscriber URL."""

    url = models.URLField(max_length=1000)
    event_id = models.CharField(max_length=64, db_index=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.IntegerField(default=0)
    state = models.CharField(max_length=16, default="pending")  # pending|retrying|ok|failed
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.url}"


class SandboxYourAppCounter(models.Model):
    """Named request counters shared by every process (bumped with F() updates)."""

    name = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


def _yourapp_id(prefix: str) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(12))


def yourapp_task_id() -> str:
    return _yourapp_id("task_")


def yourapp_note_id() -> str:
    return _yourapp_id("note_")


def yourapp_appointment_id() -> str:
    return _yourapp_id("appt_")


class SandboxYourAppTask(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=yourapp_task_id)
    contact = models.ForeignKey(
        SandboxYourAppContact, on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(max_length=300)
    due_date = models.DateTimeField(null=True, blank=True)
    completed = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now_ms)
    updated_at = models.DateTimeField(default=now_ms, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="sb_ya_task_upd")]

    def __str__(self) -> str:
        return self.title


class SandboxYourAppNote(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=yourapp_note_id)
    contact = models.ForeignKey(
        SandboxYourAppContact, on_delete=models.CASCADE, related_name="contact_notes"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=now_ms)
    updated_at = models.DateTimeField(default=now_ms, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="sb_ya_note_upd")]

    def __str__(self) -> str:
        return self.body[:60]


class SandboxYourAppAppointment(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=yourapp_appointment_id)
    contact = models.ForeignKey(
        SandboxYourAppContact, on_delete=models.CASCADE, related_name="appointments"
    )
    title = models.CharField(max_length=300)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=16, default="confirmed")
    created_at = models.DateTimeField(default=now_ms)
    updated_at = models.DateTimeField(default=now_ms, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="sb_ya_appt_upd")]

    def __str__(self) -> str:
        return self.title


class SandboxRecord(models.Model):
    """A record of the spec-driven store (sandbox/ghl/generic.py): opportunities,
    pipelines, conversations, messages, businesses, calendar groups, blog posts… One row
    per record, its fields as the spec's schema names them."""

    location_id = models.CharField(max_length=32, db_index=True)
    collection = models.CharField(max_length=100)  # e.g. "opportunities", "calendars/groups"
    record_id = models.CharField(max_length=64, default=ghl_id)
    parent_id = models.CharField(max_length=64, blank=True, default="")
    data = models.JSONField(default=dict)
    created = models.DateTimeField(default=now_ms)
    updated = models.DateTimeField(default=now_ms)

    class Meta:
        ordering = ("created", "id")
        indexes = [models.Index(fields=("location_id", "collection", "record_id"))]

    def __str__(self) -> str:
        return f"{self.collection}/{self.record_id}"
