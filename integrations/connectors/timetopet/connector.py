"""Time To Pet: no public API. What Syncdeck can honestly do with it:

- read its calendar feed (company or staff iCalendar URLs, read-only) on a poll, with
  conditional GETs (ETag / Last-Modified: an unchanged feed costs one 304), each visit
  occurrence a record whose id is its UID plus its recurrence id;
- take CSV exports of clients and pets (and export HighLevel contacts for its import);
- receive whatever the business can post to an inbound URL with an X-Webhook-Secret.

Nothing is ever written into Time To Pet (FACTS §1: no REST paths exist to write to).
The feed URLs carry a private token: they are kept in the encrypted credentials and
redacted from run steps. Every feed URL is user-given, so every fetch passes the SSRF guard.
"""

from __future__ import annotations

import secrets as secrets_module
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http
from integrations.connectors.base import (
    Catalog,
    CheckResult,
    Connector,
    ConnectorError,
    CsvObject,
    ErrorKind,
    FormField,
    ObjectType,
    Operation,
)
from integrations.connectors.timetopet import feed
from integrations.connectors.timetopet.polling import FeedPolling, feed_digest

FEED_OPERATION = "visits.feed"
MAX_FEED_BYTES = 20 * 1024 * 1024
WINDOW_PAST_DAYS = 1
DEFAULT_WINDOW_DAYS = 60

CLIENT_CSV = CsvObject(
    name="client",
    label="Clients and pets",
    columns=(
        ("First Name", "firstName"),
        ("Last Name", "lastName"),
        ("Email", "email"),
        ("Email Address", "email"),
        ("Phone", "phone"),
        ("Mobile Phone", "phone"),
        ("Cell Phone", "phone"),
        ("Address", "address1"),
        ("Street Address", "address1"),
        ("City", "city"),
        ("State", "state"),
        ("Zip", "postalCode"),
        ("Zip Code", "postalCode"),
        ("Pets", "note"),
        ("Pet Names", "note"),
        ("Pet Types", "note"),
        ("Notes", "note"),
        ("Vet", "note"),
    ),
    id_column="Client ID",
    export_columns=(
        ("firstName", "First Name"),
        ("lastName", "Last Name"),
        ("email", "Email"),
        ("phone", "Phone"),
        ("address1", "Address"),
        ("city", "City"),
        ("state", "State"),
        ("postalCode", "Zip"),
    ),
    help="a client export (Clients → Export in Time To Pet); pets go into a note",
)


def _catalog() -> Catalog:
    op = Operation(
        id=FEED_OPERATION,
        name="Visits from the calendar feed",
        category="Visits",
        role="trigger",
        method="GET",
        path="/",  # the feed URL itself: it is the connection's whole base
        description="Each visit occurrence in the feed's window; new, moved and cancelled "
        "ones (a GET of the read-only iCalendar feed URL).",
    )
    return Catalog({op.id: op})


class TimeToPetConnector(FeedPolling, Connector):
    kind = "timetopet"
    label = "Time To Pet"
    description = (
        "Pet-care scheduling. No public API: Syncdeck reads its calendar feed (visits), "
        "imports its client CSV exports and takes posts at an inbound URL."
    )
    auth_methods = ("feed",)
    catalog = _catalog()
    list_operation = FEED_OPERATION
    object_types = {
        "appointment": ObjectType("appointment", label_field="title"),
        "task": ObjectType("task", label_field="title"),
        "contact": ObjectType("contact"),
        "note": ObjectType("note", parent="contact", parent_field="contact_id"),
    }
    # Posts to the inbound URL: {"type": "client.created", "id": "…", "data": {…}}.
    event_types = ("client.created", "client.updated", "note.created", "visit.created")
    record_fields = {}  # nothing is written into Time To Pet
    connect_forms = {
        "feed": (
            FormField(
                "feed_url",
                "Company calendar feed URL",
                secret=True,
                help="In Time To Pet: Settings → Calendar Integration; copy the company feed "
                "(or one staff member's). It is read-only and kept encrypted.",
            ),
            FormField(
                "staff_feeds",
                "Staff feed URLs (optional)",
                kind="textarea",
                required=False,
                help="One per line, to read staff calendars as well.",
            ),
            FormField(
                "interval",
                "Check the feed every (minutes)",
                kind="int",
                initial="15",
                help="1 to 60; an unchanged feed costs one small request.",
            ),
            FormField(
                "timezone",
                "Business time zone",
                required=False,
                initial="UTC",
                help="For visit times the feed gives without a zone (e.g. America/New_York).",
            ),
            FormField(
                "window_days",
                "Days ahead to read",
                kind="int",
                initial=str(DEFAULT_WINDOW_DAYS),
                help="Recurring visits are expanded up to this many days ahead (1 to 365).",
            ),
        )
    }
    notice = (
        "Time To Pet has no public API: Syncdeck only reads its read-only calendar feed, "
        "your CSV exports and what you post to the inbound URL, so nothing is ever written "
        "into Time To Pet."
    )
    account_noun = "Company"
    inbound_auth = "header_secret"
    csv_objects = {"client": CLIENT_CSV}
    max_poll_minutes = 60

    @classmethod
    def event_record(cls, payload: Any) -> Any:
        """The record in a post ({type, id, data}); a record that names a client gets the
        same `match` / `match_by` as a visit, so one lookup finds its HighLevel contact."""
        record = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(record, dict):
            return payload
        if "client_email" in record or "client_name" in record:
            record = {
                **record,
                "client_email": str(record.get("client_email") or "").strip().lower(),
                "client_name": str(record.get("client_name") or "").strip(),
            }
            record["match"] = record["client_email"] or record["client_name"]
            record["match_by"] = feed.match_by(record)
        return record

    # --- connecting ------------------------------------------------------------------
    @sensitive_variables()
    def configure(self, values: dict[str, Any]) -> None:
        """Fill the unsaved connection from the connect form's values (no call to the feed);
        a blank feed URL keeps the stored one; the webhook secret is kept or made."""
        conn = self.connection
        old = conn.credentials if conn.credentials_encrypted else {}
        url = _https(str(values.get("feed_url") or "").strip() or str(old.get("feed_url") or ""))
        _check_url(url, "the feed URL")
        staff = [
            _https(line.strip())
            for line in str(values.get("staff_feeds") or "").splitlines()
            if line.strip()
        ]
        for n, staff_url in enumerate(staff, 1):
            _check_url(staff_url, f"staff feed {n}")
        interval = _int(values.get("interval"), 15, 1, 60, "the interval (minutes)")
        window = _int(values.get("window_days"), DEFAULT_WINDOW_DAYS, 1, 365, "the days ahead")
        zone = str(values.get("timezone") or "UTC").strip() or "UTC"
        try:
            ZoneInfo(zone)
        except (ValueError, KeyError, ZoneInfoNotFoundError) as exc:
            raise _validation(
                f"unknown time zone {zone!r} (use a name like Europe/London)"
            ) from exc
        secret = old.get("webhook_secret") or "whsec_" + secrets_module.token_urlsafe(32)
        conn.credentials = {"feed_url": url, "staff_feeds": staff, "webhook_secret": secret}
        config = dict(conn.config or {})
        config.update(
            {
                "interval_minutes": interval,
                "window_days": window,
                "timezone": zone,
                "host": _host(url),
            }
        )
        conn.config = config
        if not conn.inbound_token:
            conn.set_inbound_token(secrets_module.token_urlsafe(24))
        conn.account_id = conn.account_id or f"{_host(url)}:{feed_digest(url)[:8]}"
        conn.account_name = conn.account_name or _host(url)

    @sensitive_variables()
    def connect_with(self, auth_method: str, values: dict[str, Any]) -> None:
        """Check and store the form's values, then read the feed once (its name names the
        connection; a URL that is not a calendar is refused with a sentence)."""
        if auth_method != "feed":
            raise ConnectorError(f"{self.label} connects with its calendar feed", permanent=True)
        self.configure(values)
        _label, url = self.feed_urls()[0]
        calendar = feed.parse(self._fetch(url, {})[0], f"the feed at {_host(url)}")
        name = feed.calendar_name(calendar)
        if name:
            self.connection.account_name = name

    def facts(self) -> list[tuple[str, str]]:
        config = self.connection.config or {}
        staff = (
            len(self.connection.credentials.get("staff_feeds") or [])
            if self.connection.credentials_encrypted
            else 0
        )
        lines = [
            ("Feed", f"{config.get('host', '?')} (read-only iCalendar)"),
            ("Checked every", f"{config.get('interval_minutes', 15)} min"),
            ("Window", f"{config.get('window_days', DEFAULT_WINDOW_DAYS)} days ahead"),
        ]
        if staff:
            lines.append(("Staff feeds", str(staff)))
        if self.inbound_path:
            lines.append(("Inbound URL", self.inbound_path + " (X-Webhook-Secret)"))
        return lines

    # --- the feed ----------------------------------------------------------------------
    def feed_urls(self) -> list[tuple[str, str]]:
        creds = self.connection.credentials
        urls = [("company", str(creds.get("feed_url") or ""))]
        urls += [(f"staff {n}", u) for n, u in enumerate(creds.get("staff_feeds") or [], 1)]
        return [(label, url) for label, url in urls if url]

    @sensitive_variables()
    def _fetch(self, url: str, old: dict[str, Any]) -> tuple[str, dict[str, str], int]:
        """(text, validators, status) of one feed; a 304 has no text."""
        headers = {"Accept": "text/calendar, text/plain;q=0.8, */*;q=0.1"}
        if old.get("etag"):
            headers["If-None-Match"] = old["etag"]
        if old.get("last_modified"):
            headers["If-Modified-Since"] = old["last_modified"]
        parts = urlsplit(url)
        secret = parts.path + ("?" + parts.query if parts.query else "")
        try:
            response = http.request("GET", url, headers=headers, secrets=[secret], guard=True)
        except ConnectorError as exc:
            if exc.status in (401, 403, 404, 410):
                exc.message = (
                    f"the feed at {parts.hostname} answered {exc.status}: it may have been "
                    "reset or turned off in Time To Pet; copy the feed URL again"
                )
                exc.args = (exc.message,)
                exc.kind = ErrorKind.AUTH if exc.status in (401, 403) else ErrorKind.PERMANENT
            raise
        if len(response.text) > MAX_FEED_BYTES:
            raise _validation(f"the feed at {parts.hostname} is larger than 20 MB")
        validators = {
            "etag": str(response.headers.get("ETag") or ""),
            "last_modified": str(response.headers.get("Last-Modified") or ""),
        }
        return response.text, validators, response.status

    def _window(self) -> tuple[Any, Any]:
        config = self.connection.config or {}
        now = timezone.now()
        days = int(config.get("window_days") or DEFAULT_WINDOW_DAYS)
        return now - timedelta(days=WINDOW_PAST_DAYS), now + timedelta(days=days)

    def visits(self, url: str, label: str, text: str) -> list[dict[str, Any]]:
        start, end = self._window()
        calendar = feed.parse(text, f"the {label} feed at {_host(url)}")
        zone = str((self.connection.config or {}).get("timezone") or "UTC")
        return feed.occurrences(calendar, start, end, default_zone=zone, feed=label)

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        records, _ = self.poll({"max_records": 50}, "")
        upcoming = [r for r in records if r["start"] >= feed.iso(timezone.now())] or records
        if not upcoming:
            return None, f"{self.connection}'s feed has no visits in the window yet."
        return upcoming[0], f"The next visit in {self.connection}'s feed (read just now)."

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        for label, url in self.feed_urls():
            for record in self.visits(url, label, self._fetch(url, {})[0]):
                if record["id"] == record_id:
                    return record
        return None

    def test(self) -> CheckResult:
        urls = self.feed_urls()
        if not urls:
            return CheckResult(False, "No feed URL is set.")
        _label, url = urls[0]
        try:
            text = self._fetch(url, {})[0]
            calendar = feed.parse(text, f"the feed at {_host(url)}")
            start, end = self._window()
            zone = str((self.connection.config or {}).get("timezone") or "UTC")
            count = len(feed.occurrences(calendar, start, end, default_zone=zone))
        except ConnectorError as exc:
            return CheckResult(False, exc.message)
        name = feed.calendar_name(calendar)
        return CheckResult(
            True,
            f"Read the feed{f' “{name}”' if name else ''} at {_host(url)}: {count} visits in "
            "the window (read-only: nothing is written to Time To Pet).",
        )

    def call(self, operation_id: str, **params: Any) -> Any:
        raise ConnectorError(
            "Time To Pet has no API to call: its feed is read-only, so nothing can be "
            "written into it",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the feed"


def _validation(message: str) -> ConnectorError:
    return ConnectorError(message, permanent=True, kind=ErrorKind.VALIDATION)


def _https(url: str) -> str:
    """Calendar apps hand out webcal:// links: the same URL over https."""
    return "https://" + url[len("webcal://") :] if url.lower().startswith("webcal://") else url


def _check_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _validation(f"{what} must be an http(s) or webcal URL")


def _int(value: Any, default: int, low: int, high: int, what: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise _validation(f"{what} must be a whole number") from exc
    if not low <= number <= high:
        raise _validation(f"{what} must be between {low} and {high}")
    return number
