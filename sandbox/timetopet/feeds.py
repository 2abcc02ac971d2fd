"""The iCalendar files (RFC 5545) the feeds serve, and the sample client CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import icalendar

from .models import Company, Staff, Visit

PRODID = "-//Syncdeck sandbox//Time To Pet stand-in//EN"


def _event(visit: Visit, stamp: datetime) -> icalendar.Event:
    client = visit.client
    event = icalendar.Event()
    event.add("uid", visit.uid)
    event.add("dtstamp", stamp)
    event.add("sequence", visit.sequence)
    event.add("summary", visit.title)
    lines = [f"Client: {client.name}"]
    if client.email and client.email_in_feed:
        lines.append(f"Email: {client.email}")
    if client.pets:
        lines.append(f"Pets: {client.pets}")
    if visit.staff:
        lines.append(f"Staff: {visit.staff.name}")
    lines.append(f"Service: {visit.service}")
    event.add("description", "\n".join(lines))
    if client.address:
        event.add("location", f"{client.address}, {client.city}, {client.state} {client.zip}")
    return event


def calendar(company: Company, staff: Staff | None = None) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{company.name}{f' - {staff.name}' if staff else ''}")
    cal.add("x-wr-timezone", company.timezone)
    visits = company.visits.filter(deleted=False).select_related("client", "staff")
    if staff is not None:
        visits = visits.filter(staff=staff)
    stamp = company.changed_at.astimezone(UTC)
    for visit in visits:
        event = _event(visit, stamp)
        event.add("dtstart", visit.local(0))
        event.add("dtend", visit.local(0) + timedelta(minutes=visit.minutes))
        event.add("status", "CANCELLED" if visit.cancelled else "CONFIRMED")
        if visit.weeks:
            event.add("rrule", {"freq": "weekly", "count": visit.weeks})
            if visit.exdates:
                event.add("exdate", [visit.local(i) for i in sorted(visit.exdates)])
        cal.add_component(event)
        for index, override in sorted(visit.overrides.items(), key=lambda kv: int(kv[0])):
            if not visit.weeks:
                continue
            original = visit.local(int(index))
            start = original + timedelta(minutes=int(override.get("shift_minutes", 0)))
            instance = _event(visit, stamp)
            instance.add("recurrence-id", original)
            instance.add("dtstart", start)
            instance.add("dtend", start + timedelta(minutes=visit.minutes))
            cancelled = visit.cancelled or override.get("cancelled")
            instance.add("status", "CANCELLED" if cancelled else "CONFIRMED")
            cal.add_component(instance)
    cal.add_missing_timezones()
    return cal.to_ical()


MALFORMED = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:broken\r\n"
    b"DTSTART;TZID=America/New_York:2026-13-45 25:99\r\nSUMMARY Walk without a colon\r\n"
)
LOGIN_PAGE = (
    b"<!doctype html><html><head><title>Time To Pet - Login</title></head>"
    b"<body><form><input name=username><input name=password type=password></form></body></html>"
)

CSV_HEADERS = [
    "Client ID",
    "First Name",
    "Last Name",
    "Email",
    "Mobile Phone",
    "Address",
    "City",
    "State",
    "Zip",
    "Pets",
    "Notes",
]


def clients_csv(company: Company, rows: int = 0) -> str:
    """The company's clients (those in the export) or `rows` generated ones."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    if rows:
        for n in range(1, rows + 1):
            writer.writerow(
                [
                    f"C{n:05d}",
                    f"Client{n:05d}",
                    "Sample",
                    f"client{n:05d}@pets.example",
                    f"+1 555 {n // 10000:03d} {n % 10000:04d}",
                    f"{n} Bark Street",
                    "Springfield",
                    "IL",
                    f"{62700 + n % 100}",
                    f"Pet{n} (Dog)",
                    "Gate code 1234" if n % 7 == 0 else "",
                ]
            )
        return out.getvalue()
    for client in company.clients.filter(in_export=True).order_by("pk"):
        writer.writerow(
            [
                f"C{client.pk:05d}",
                client.first_name,
                client.last_name,
                client.email,
                client.phone,
                client.address,
                client.city,
                client.state,
                client.zip,
                client.pets,
                client.notes,
            ]
        )
    return out.getvalue()


def expected(company: Company) -> list[dict]:
    """Every occurrence the company feed holds, as JSON (what a correct reader must see)."""
    out = []
    for visit in company.visits.filter(deleted=False).select_related("client"):
        for occ in visit.occurrences():
            out.append(
                {
                    **occ,
                    "recurrence_utc": occ["recurrence_utc"].strftime("%Y%m%dT%H%M%SZ")
                    if occ["recurrence_utc"]
                    else "",
                    "start": occ["start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "end": occ["end"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
    return sorted(out, key=lambda o: (o["start"], o["uid"]))
