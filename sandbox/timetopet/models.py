"""A pet-care business as Time To Pet would publish it: companies, staff, clients with pets,
and visits (single or weekly series, with moved, cancelled and removed occurrences)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone


def _token() -> str:
    return secrets.token_urlsafe(18)


def _now_seconds() -> datetime:
    return timezone.now().replace(microsecond=0)


class Company(models.Model):
    class Mode(models.TextChoices):
        OK = "ok", "Serve the feed"
        MALFORMED = "malformed", "Serve a broken iCalendar file"
        HTML = "html", "Serve a login page instead"
        GONE = "gone", "Feed turned off (404)"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=60, default="America/New_York")
    feed_token = models.CharField(max_length=40, unique=True, default=_token)
    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(default=_now_seconds)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.OK)
    fetches = models.PositiveIntegerField(default=0)
    not_modified = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name

    def touch(self) -> None:
        """Something in the feed changed: a new ETag and Last-Modified."""
        self.version += 1
        now = _now_seconds()
        # Last-Modified has one-second precision: make each change a later second.
        self.changed_at = max(now, self.changed_at + timedelta(seconds=1))
        self.save(update_fields=["version", "changed_at"])


class Staff(models.Model):
    company = models.ForeignKey(Company, models.CASCADE, related_name="staff")
    name = models.CharField(max_length=120)
    feed_token = models.CharField(max_length=40, unique=True, default=_token)

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    company = models.ForeignKey(Company, models.CASCADE, related_name="clients")
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    email = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=20, blank=True)
    zip = models.CharField(max_length=12, blank=True)
    pets = models.CharField(max_length=200, blank=True)  # "Rex (Dog), Tom (Cat)"
    notes = models.CharField(max_length=300, blank=True)
    # Whether the feed's visit text carries the client's email (else only the name).
    email_in_feed = models.BooleanField(default=True)
    # Left out of the client CSV (a client HighLevel will not know: an unmatched visit).
    in_export = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Visit(models.Model):
    """A single visit (`weeks` = 0) or a weekly series of `weeks` occurrences.

    `exdates` are occurrence indexes removed from the series (EXDATE); `overrides` map an
    index to {"shift_minutes": n} (moved) and/or {"cancelled": true}.
    """

    company = models.ForeignKey(Company, models.CASCADE, related_name="visits")
    staff = models.ForeignKey(Staff, models.SET_NULL, null=True, blank=True, related_name="+")
    client = models.ForeignKey(Client, models.CASCADE, related_name="visits")
    uid = models.CharField(max_length=120, unique=True)
    service = models.CharField(max_length=80, default="Dog Walk")
    start_local = models.CharField(max_length=19)  # wall time in `tzid`: 2026-12-01T09:00
    tzid = models.CharField(max_length=60, default="America/New_York")
    minutes = models.PositiveIntegerField(default=30)
    weeks = models.PositiveIntegerField(default=0)
    exdates = models.JSONField(default=list, blank=True)
    overrides = models.JSONField(default=dict, blank=True)
    cancelled = models.BooleanField(default=False)
    sequence = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.uid

    @property
    def title(self) -> str:
        return f"{self.service} - {self.client.name}"

    def local(self, index: int) -> datetime:
        naive = datetime.fromisoformat(self.start_local) + timedelta(weeks=index)
        return naive.replace(tzinfo=ZoneInfo(self.tzid))

    def occurrences(self) -> list[dict]:
        """The visits this row puts in the feed (the simulator's own expansion)."""
        if self.deleted:
            return []
        out = []
        for index in range(max(1, self.weeks)):
            if index in self.exdates:
                continue
            original = self.local(index)
            override = self.overrides.get(str(index)) or {}
            start = original + timedelta(minutes=int(override.get("shift_minutes", 0)))
            out.append(
                {
                    "uid": self.uid,
                    "index": index,
                    "recurrence_utc": original.astimezone(ZoneInfo("UTC")) if self.weeks else None,
                    "start": start.astimezone(ZoneInfo("UTC")),
                    "end": (start + timedelta(minutes=self.minutes)).astimezone(ZoneInfo("UTC")),
                    "tzid": self.tzid,
                    "title": self.title,
                    "cancelled": self.cancelled or bool(override.get("cancelled")),
                    "moved": bool(override.get("shift_minutes")),
                    "client_email": self.client.email,
                    "client_name": self.client.name,
                }
            )
        return out
