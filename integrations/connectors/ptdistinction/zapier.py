"""PT Distinction through Zapier: the payload contract, as data.

PT Distinction has no public API (shared/reference/apps/FACTS.md §4). Its Zapier app has
three triggers — "Client Added", "Client Added to Group", "Pre-Made Package Sign Up" — and
one action, "Add Client" (required: Email, First Name, Gender, Send Login Details; optional:
Last Name, Password, Online or Print Only, Time Zone, Two Way Messaging). Zapier's own
endpoints and auth are not public, so Syncdeck talks to the operator's Zaps only:

- inbound: a Zap "PT Distinction trigger → Webhooks by Zapier (POST, payload type json)"
  posts to the connection's inbound URL with the header `X-Webhook-Secret`; the Zap's
  "Data" rows carry the fields named in `INBOUND_FIELDS` (the operator maps each to a field
  of the PT Distinction trigger in Zapier's field picker);
- outbound: we POST the fields of `ADD_CLIENT_FIELDS` as JSON to the operator's "Catch
  Hook" URL; their Zap maps them onto PT Distinction's "Add Client".

The field names are ours (a documented contract), not PT Distinction's: which fields its
triggers expose is visible only inside Zapier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Trigger:
    event: str  # our event type (the "event" Data row of the Zap)
    zapier_name: str  # the trigger's name in Zapier's PT Distinction app
    extra: tuple[str, ...] = ()  # fields only this trigger sends
    tag_prefix: str = ""  # a delivery becomes this GHL tag + the group or package name


CLIENT_ADDED = "client_added"
ADDED_TO_GROUP = "client_added_to_group"
PACKAGE_SIGNUP = "package_signup"

TRIGGERS: tuple[Trigger, ...] = (
    Trigger(CLIENT_ADDED, "Client Added"),
    Trigger(ADDED_TO_GROUP, "Client Added to Group", ("group",), "ptd group: "),
    Trigger(PACKAGE_SIGNUP, "Pre-Made Package Sign Up", ("package",), "ptd package: "),
)
BY_EVENT = {t.event: t for t in TRIGGERS}
EVENT_TYPES = tuple(t.event for t in TRIGGERS)

# (Data key, what to pick in Zapier, required?) for every trigger, then the extras.
INBOUND_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("event", f"type the text {CLIENT_ADDED}, {ADDED_TO_GROUP} or {PACKAGE_SIGNUP}", True),
    ("email", "the client's Email", True),
    ("first_name", "the client's First Name", False),
    ("last_name", "the client's Last Name", False),
    ("phone", "the client's phone number, if the trigger offers one", False),
    ("gender", "the client's Gender, if offered", False),
    ("time_zone", "the client's Time Zone, if offered", False),
    ("client_id", "the client's ID, if offered (kept for reference)", False),
    ("delivery_id", "optional: a value unique to each delivery, if you have one", False),
)
EXTRA_FIELDS: dict[str, str] = {
    "group": "the Group's name (Client Added to Group)",
    "package": "the Package's name (Pre-Made Package Sign Up)",
}

# What we POST to the operator's Catch Hook, and PT Distinction's "Add Client" field each
# one is meant for. No password is ever sent: PT Distinction makes one and, with Send Login
# Details, emails it to the client.
ADD_CLIENT_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("email", "Email", True),
    ("first_name", "First Name", True),
    ("last_name", "Last Name", False),
    ("gender", "Gender", True),
    ("send_login_details", "Send Login Details (yes or no)", True),
    ("time_zone", "Time Zone", False),
    ("online_or_print_only", "Online or Print Only", False),
    ("two_way_messaging", "Two Way Messaging", False),
)
ADD_CLIENT_NAMES = tuple(name for name, _, _ in ADD_CLIENT_FIELDS)

_ALIASES = {
    "client added": CLIENT_ADDED,
    "client_added": CLIENT_ADDED,
    "client added to group": ADDED_TO_GROUP,
    "client_added_to_group": ADDED_TO_GROUP,
    "pre-made package sign up": PACKAGE_SIGNUP,
    "pre made package sign up": PACKAGE_SIGNUP,
    "package sign up": PACKAGE_SIGNUP,
    "package_signup": PACKAGE_SIGNUP,
}
_KEY = re.compile(r"[\s\-]+")


def key_of(name: Any) -> str:
    """A Data key as we read it: "First Name", "first-name" and "first_name" are one."""
    return _KEY.sub("_", str(name).strip()).lower()


def flat(payload: dict[str, Any]) -> dict[str, Any]:
    """The delivery with normalised keys and trimmed text values (first spelling wins)."""
    out: dict[str, Any] = {}
    for name, value in payload.items():
        key = key_of(name)
        if key not in out:
            out[key] = value.strip() if isinstance(value, str) else value
    return out


def event_of(payload: dict[str, Any]) -> str:
    """Which trigger sent it: the "event" row (our name or Zapier's), else a group or package
    field says so; a delivery with neither is "Client Added". An unknown event is kept as
    given, so it is stored and listed, and no flow runs it."""
    data = flat(payload)
    given = data.get("event")
    if isinstance(given, str) and given:
        return _ALIASES.get(given.strip().lower(), given.strip()[:100])
    if _text(data.get("group")):
        return ADDED_TO_GROUP
    if _text(data.get("package")):
        return PACKAGE_SIGNUP
    return CLIENT_ADDED


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def record_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The client a delivery is about. PT Distinction knows a client by email ("Add Client"
    does nothing for an email it has), so the record's id is the email, in lower case."""
    data = flat(payload)
    email = _text(data.get("email")).lower()
    event = event_of(payload)
    record: dict[str, Any] = {"id": email, "email": email, "event": event}
    for name in ("first_name", "last_name", "phone", "gender", "time_zone", "client_id"):
        value = _text(data.get(name))
        if value:
            record[name] = value
    trigger = BY_EVENT.get(event)
    tags = []
    for name in trigger.extra if trigger else ():
        value = _text(data.get(name))
        if value:
            record[name] = value
            tags.append(trigger.tag_prefix + value)
    if tags:
        record["tags"] = tags
    return record
