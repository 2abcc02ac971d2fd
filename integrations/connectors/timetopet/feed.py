"""Time To Pet's calendar feed (iCalendar, RFC 5545) → one record per visit occurrence.

Time To Pet publishes a read-only feed per company and per staff member (Settings →
Calendar Integration). Recurring visits (RRULE) are expanded over a bounded window with
`recurring-ical-events`, which also applies EXDATE and moved or cancelled instances
(RECURRENCE-ID overrides); times are read in their TZID (VTIMEZONE) and written in UTC.

The feed's text layout is not documented publicly, so the client is read generously: an
email in the description or an attendee, a "Client: …" line, an attendee's name.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from integrations.connectors.base import ConnectorError, ErrorKind

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_LINE = re.compile(r"^\s*(client|owner|customer|pets?|staff|sitter|service)\s*:\s*(.+)$", re.I)
MAX_OCCURRENCES = 20_000


def _bad(message: str) -> ConnectorError:
    return ConnectorError(message, permanent=True, kind=ErrorKind.VALIDATION)


def parse(text: str, where: str) -> icalendar.Calendar:
    """The calendar, or a ConnectorError saying in one sentence what the feed is instead."""
    body = text.lstrip("\ufeff \r\n\t")
    if body[:1] == "<":
        raise _bad(
            f"{where} answered with a web page, not a calendar: copy the feed URL again from "
            "Time To Pet (Settings → Calendar Integration)"
        )
    if not body.upper().startswith("BEGIN:VCALENDAR"):
        raise _bad(
            f"{where} did not send an iCalendar file (it does not start with BEGIN:VCALENDAR)"
        )
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, KeyError, IndexError) as exc:
        raise _bad(f"{where} sent a malformed iCalendar file: {str(exc)[:200]}") from exc
    if not isinstance(calendar, icalendar.Calendar):
        raise _bad(f"{where} did not send one VCALENDAR")
    return calendar


def calendar_name(calendar: icalendar.Calendar) -> str:
    return str(calendar.get("X-WR-CALNAME") or calendar.get("NAME") or "")[:200]


def _utc(value: Any, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):  # an all-day visit: midnight where the business is
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)
    raise _bad(f"unreadable date {value!r}")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tzid(prop: Any) -> str:
    params = getattr(prop, "params", {}) or {}
    if params.get("TZID"):
        return str(params["TZID"])
    value = getattr(prop, "dt", None)
    tz = getattr(value, "tzinfo", None)
    return str(getattr(tz, "key", "") or (tz and tz.tzname(value)) or "")


def _client(event: Any) -> dict[str, str]:
    description = str(event.get("DESCRIPTION") or "")
    found: dict[str, str] = {}
    for line in description.splitlines():
        match = _LINE.match(line)
        if match:
            label = match.group(1).lower().rstrip("s")
            label = {"owner": "client", "customer": "client", "sitter": "staff"}.get(label, label)
            found.setdefault(label, match.group(2).strip())
    attendees = event.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    email = ""
    name = found.get("client", "")
    for attendee in attendees:
        address = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:")
        if EMAIL.fullmatch(address) and not email:
            email = address
            name = name or str(getattr(attendee, "params", {}).get("CN") or "")
    if not email:
        in_text = EMAIL.search(description)
        email = in_text.group(0) if in_text else ""
    if name and EMAIL.search(name):
        name = EMAIL.sub("", name).strip(" <>()")
    return {
        "client_email": email.lower(),
        "client_name": name,
        "pets": found.get("pet", ""),
        "staff": found.get("staff", ""),
        "service": found.get("service", ""),
    }


def fingerprint(record: dict[str, Any]) -> str:
    keys = ("title", "start", "end", "status", "location", "client_email", "client_name", "pets")
    raw = json.dumps([record.get(k) for k in keys], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def occurrences(
    calendar: icalendar.Calendar,
    start: datetime,
    end: datetime,
    *,
    default_zone: str = "UTC",
    feed: str = "company",
) -> list[dict[str, Any]]:
    """Every visit occurrence between start and end, as records with a stable id."""
    zone = ZoneInfo(default_zone or "UTC")
    try:
        events = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:  # the library raises its own types for bad rules/zones
        raise _bad(f"the feed's recurrences cannot be expanded: {str(exc)[:200]}") from exc
    # The library puts a RECURRENCE-ID on every occurrence; only a recurring visit (RRULE,
    # RDATE or instances overriding it) keeps one in its id.
    recurring = {
        str(component.get("UID") or "").strip()
        for component in calendar.walk("VEVENT")
        if component.get("RRULE") or component.get("RDATE") or component.get("RECURRENCE-ID")
    }
    records: dict[str, dict[str, Any]] = {}
    for event in events:
        if len(records) >= MAX_OCCURRENCES:
            raise _bad(
                f"the feed holds more than {MAX_OCCURRENCES} visits in the window; "
                "shorten the window or use staff feeds"
            )
        uid = str(event.get("UID") or "").strip()
        if not uid:
            continue  # RFC 5545 requires a UID; without one nothing is stable to link
        begin = _utc(event.get("DTSTART").dt, zone)
        finish_prop = event.get("DTEND")
        if finish_prop is not None:
            finish = _utc(finish_prop.dt, zone)
        elif event.get("DURATION") is not None:
            finish = begin + event.get("DURATION").dt
        else:
            finish = begin + (
                timedelta(days=1)
                if not isinstance(event.get("DTSTART").dt, datetime)
                else timedelta(0)
            )
        recurrence = event.get("RECURRENCE-ID") if uid in recurring else None
        occurrence_id = uid
        if recurrence is not None:
            occurrence_id = (
                f"{uid}/{iso(_utc(recurrence.dt, zone)).replace('-', '').replace(':', '')}"
            )
        status = str(event.get("STATUS") or "CONFIRMED").lower()
        client = _client(event)
        title = str(event.get("SUMMARY") or "Visit").strip()
        record = {
            "id": occurrence_id[:150],
            "uid": uid,
            "recurrence_id": iso(_utc(recurrence.dt, zone)) if recurrence is not None else "",
            "title": title[:200],
            "start": iso(begin),
            "end": iso(finish),
            "timezone": _tzid(event.get("DTSTART")) or default_zone,
            "all_day": not isinstance(event.get("DTSTART").dt, datetime),
            "status": status if status in ("confirmed", "tentative", "cancelled") else "confirmed",
            "cancelled": status == "cancelled",
            "location": str(event.get("LOCATION") or "")[:300],
            "description": str(event.get("DESCRIPTION") or "")[:2000],
            "feed": feed,
            **client,
        }
        record["match"] = record["client_email"] or record["client_name"]
        record["match_by"] = match_by(record)
        record["summary"] = summary(record)
        record["updated_at"] = fingerprint(record)
        records[record["id"]] = record
    return sorted(records.values(), key=lambda r: (r["start"], r["id"]))


def match_by(record: dict[str, Any]) -> str:
    """How HighLevel is searched for the visit's client: "email", "name" or "" (neither)."""
    if record.get("client_email"):
        return "email"
    return "name" if record.get("client_name") else ""


def summary(record: dict[str, Any]) -> str:
    parts = [f"{record['title']}: {record['start']} → {record['end']} ({record['timezone']})"]
    if record.get("pets"):
        parts.append(f"Pets: {record['pets']}")
    if record.get("staff"):
        parts.append(f"Staff: {record['staff']}")
    if record.get("location"):
        parts.append(f"At: {record['location']}")
    if record.get("cancelled"):
        parts.append("Cancelled in Time To Pet")
    return "\n".join(parts)


def cancelled_copy(record: dict[str, Any]) -> dict[str, Any]:
    """A visit that left the feed (EXDATE, deleted): the same record, cancelled."""
    gone = {**record, "status": "cancelled", "cancelled": True}
    gone["summary"] = summary(gone)
    gone["updated_at"] = fingerprint(gone)
    return gone
