"""HighLevel (GHL / LeadConnector) API v2 connector.

Facts it relies on are in shared/reference/ghl/FACTS.md: OAuth authorize and token URLs
(§1), single-use rotating refresh tokens (§1, §10), the `Version` header per operation (§3),
rate-limit headers (§4), error bodies (§6).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http
from integrations.connectors.base import (
    Catalog,
    CheckResult,
    Connector,
    ConnectorError,
    ErrorKind,
    ObjectType,
    Operation,
    Param,
    Scope,
)
from integrations.connectors.ghl.auth import GHLAuth
from integrations.connectors.ghl.build_catalog import seed_rows
from integrations.connectors.ghl.reading import GHLReading
from integrations.connectors.ghl.webhooks import KNOWN_EVENT_TYPES

CATALOG_DIR = Path(__file__).parent / "catalog"
DEFAULT_VERSION = "2021-07-28"
# GHL answers 401 both for a bad token and for a token that lacks a scope; only the first
# is cured by refreshing.
SCOPE_MESSAGE = "not authorized for this scope"


@cache
def load_catalog() -> Catalog:
    catalog = Catalog()
    for path in sorted(CATALOG_DIR.glob("[a-z]*.json")):
        for entry in json.loads(path.read_text()):
            params = tuple(_param(p) for p in entry.pop("params"))
            body_fields = tuple(
                _param({**f, "location": "body"}) for f in entry.pop("body_fields", [])
            )
            entry["v3_params"] = tuple(_param(p) for p in entry.get("v3_params") or ())
            for key in ("spec_operation_id", "spec_file", "has_body"):
                entry.pop(key, None)
            for key in ("body_required", "scopes", "versions"):
                entry[key] = tuple(entry.get(key) or ())
            catalog.operations[entry["id"]] = Operation(
                params=params, body_fields=body_fields, **entry
            )
    # In the seed catalog's order (Contacts, Calendars & Appointments, Opportunities…), so
    # the wizard groups and lists them as the seeds do.
    order = {row["name"]: n for n, row in enumerate(seed_rows())}
    catalog.operations = dict(
        sorted(catalog.operations.items(), key=lambda item: order.get(item[1].name, len(order)))
    )
    return catalog


def catalog_scopes(catalog: Catalog, known: set[str]) -> list[Scope]:
    needed: dict[str, list[str]] = {}
    for op in catalog:
        if op.scope and op.scope not in known:
            needed.setdefault(op.scope, []).append(op.name)
    return [
        Scope(
            name,
            f"Needed by {', '.join(names[:4])}{' and more' if len(names) > 4 else ''}"
            f" ({len(names)} operation{'s' if len(names) > 1 else ''}).",
        )
        for name, names in sorted(needed.items())
    ]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _param(data: dict[str, Any]) -> Param:
    return Param(**{**data, "choices": tuple(data.get("choices") or ())})


class GHLConnector(GHLAuth, GHLReading, Connector):
    kind = "ghl"
    label = "HighLevel"
    description = "A HighLevel (GoHighLevel / LeadConnector) sub-account (location)."
    auth_methods = ("oauth2", "pit")
    scopes = (
        Scope(
            "contacts.readonly",
            "Read contacts with their tasks, notes, tags and appointments. Needed to sync "
            "anything out of HighLevel.",
            default=True,
        ),
        Scope(
            "contacts.write",
            "Create and update contacts, tags, tasks and notes. Needed only to sync into "
            "HighLevel; leave it off for a one-way export.",
        ),
        Scope(
            "locations/customFields.readonly",
            "Read the names of the location's custom fields, so mappings show them by name "
            "instead of by id.",
        ),
        Scope(
            "locations.readonly",
            "Read the location's own details (name, time zone) so the dashboard can show "
            "which location this is.",
        ),
        Scope(
            "calendars.readonly",
            "List the location's calendars, so an appointment step can pick the calendar "
            "to book into.",
        ),
        Scope(
            "calendars/events.readonly",
            "Read appointments (calendar events). Needed to sync appointments out of "
            "HighLevel beyond what the contact's appointment list shows.",
        ),
        Scope(
            "calendars/events.write",
            "Create, update and delete appointments. Needed only to sync appointments into "
            "HighLevel.",
        ),
    )

    catalog = load_catalog()
    # Every other scope a catalog operation needs, explained by the operations needing it.
    scopes = (*scopes, *catalog_scopes(catalog, {scope.name for scope in scopes}))
    list_operation = "search-contacts-advanced"
    event_types = tuple(sorted(KNOWN_EVENT_TYPES))
    record_fields = {
        "contact": (
            "firstName",
            "lastName",
            "name",
            "email",
            "phone",
            "companyName",
            "address1",
            "city",
            "state",
            "postalCode",
            "country",
            "website",
            "timezone",
            "dnd",
            "source",
            "tags",
            "assignedTo",
        ),
        "task": ("title", "body", "dueDate", "completed", "assignedTo"),
        "note": ("body", "userId"),
        # create-appointment / edit-appointment (AppointmentCreateSchema); calendarId,
        # contactId and startTime are required on create.
        "appointment": (
            "calendarId",
            "contactId",
            "title",
            "startTime",
            "endTime",
            "appointmentStatus",
            "assignedUserId",
            "address",
            "description",
            "meetingLocationType",
        ),
    }
    # Tasks, notes and appointments hang off a contact: their webhook payloads and API
    # records carry it as "contactId" (a TaskCreate has been seen without it, FACTS §7).
    object_types: ClassVar[dict[str, ObjectType]] = {
        "contact": ObjectType("contact", label_field="name"),
        "task": ObjectType("task", parent="contact", parent_field="contactId", label_field="title"),
        "note": ObjectType("note", parent="contact", parent_field="contactId", label_field="body"),
        "appointment": ObjectType(
            "appointment", parent="contact", parent_field="contactId", label_field="title"
        ),
    }

    @classmethod
    def event_record(cls, payload: Any) -> Any:
        """The record an inbound GHL event is about.

        Contact, task and note events carry the record's fields at the top level next to
        `type` and `locationId`: the payload is the record. Appointment events nest it
        under "appointment" (AppointmentCreate.json); that record gets the event's
        `locationId`, which the nested object lacks.
        """
        if isinstance(payload, dict) and isinstance(payload.get("appointment"), dict):
            record = dict(payload["appointment"])
            if payload.get("locationId") and "locationId" not in record:
                record["locationId"] = payload["locationId"]
            return record
        return payload

    @property
    def base_url(self) -> str:
        return settings.GHL_API_BASE_URL

    @staticmethod
    def environment() -> str:
        return "sandbox" if settings.GHL_USE_SANDBOX else "live"

    # --- connecting ------------------------------------------------------------------
    def fetch_location_name(self) -> str:
        """The location's name, when the token may read it (locations.readonly)."""
        conn = self.connection
        if conn.auth_method == "oauth2" and "locations.readonly" not in conn.scopes_granted:
            return ""
        try:
            data = self.call("get-location", locationId=conn.account_id)
        except ConnectorError:
            return ""
        location = (data or {}).get("location") or {}
        return str(location.get("name") or "")

    def custom_field_names(self, object_type: str) -> dict[str, str]:
        """Custom field id → name (needs locations/customFields.readonly)."""
        conn = self.connection
        scope = "locations/customFields.readonly"
        if conn.auth_method == "oauth2" and scope not in conn.scopes_granted:
            return {}
        try:
            data = self.call("get-custom-fields", locationId=conn.account_id, model=object_type)
        except ConnectorError:
            return {}
        return {
            str(f["id"]): str(f.get("name") or f.get("fieldKey") or f["id"])
            for f in (data or {}).get("customFields") or []
            if isinstance(f, dict) and f.get("id")
        }

    # --- tokens ----------------------------------------------------------------------
    @sensitive_variables()
    def _send(
        self,
        method: str,
        path: str,
        version: str | None,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {self.access_token()}",
            "Version": version or DEFAULT_VERSION,
            "Accept": "application/json",
        }
        response = http.request(
            method,
            self.base_url + path,
            headers=headers,
            params=query,
            json_body=body,
            secrets=self._secrets(),
            rate_key=f"ghl:{settings.GHL_CLIENT_ID}:{self.connection.account_id}",
            rate=(settings.GHL_RATE_LIMIT_MAX, settings.GHL_RATE_LIMIT_INTERVAL_SECONDS),
        )
        kind = response.headers.get("Content-Type") or "application/json"
        if "json" not in kind and response.text:
            # A file (a call recording, a transcription download): its type and size.
            return {"contentType": kind, "size": len(response.text)}
        return response.json()

    def call(
        self, operation_id: str, *, body: Any = None, api_version: str = "", **params: Any
    ) -> Any:
        """Run one catalog operation: path and query parameters by name, JSON `body`.

        `api_version="v3"` sends `Version: v3` (to the v3 spelling of the path) where the
        v3 spec has the operation; by default the operation's dated v2 Version is sent."""
        op = self.catalog[operation_id]
        version = op.version
        if api_version == "v3":
            if "v3" not in op.versions:
                raise ConnectorError(
                    f"“{op.name}” is not in HighLevel's v3 API",
                    permanent=True,
                    kind=ErrorKind.VALIDATION,
                )
            version = "v3"
            if op.v3_path:
                op = replace(op, path=op.v3_path)
            if op.v3_params:
                # v3 camel-cases some (the opportunities search's location_id →
                # locationId): a v2 name is sent under v3's when v3 has no such name.
                v3_names = {p.name for p in op.v3_params}
                params = {(k if k in v3_names else _camel(k)): v for k, v in params.items()}
                op = replace(op, params=op.v3_params)
        conn = self.connection
        if (
            conn.auth_method == "oauth2"
            and op.scope
            and conn.scopes_granted
            and op.scope not in conn.scopes_granted
        ):
            raise ConnectorError(
                f"“{op.name}” needs the {op.scope} scope, which this connection was not "
                "granted. Reconnect HighLevel and allow it.",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        path, query = self._build(op, params)
        if op.method in ("POST", "PUT") and body is None and op.body_required:
            body = {}
        if isinstance(body, dict) and "locationId" in op.body_required:
            body = {**body}  # never change the caller's dict
            body.setdefault("locationId", conn.account_id)
        self.ensure_fresh()
        try:
            return self._send(op.method, path, version, query=query, body=body)
        except ConnectorError as exc:
            if exc.status != 401:
                raise
            if SCOPE_MESSAGE in exc.message:
                exc.kind = ErrorKind.AUTH
                exc.message = (
                    f"HighLevel refused “{op.name}”: the token lacks the {op.scope} scope. "
                    "Reconnect and grant it."
                )
                raise
            if conn.auth_method != "oauth2":
                self._needs_reauth(f"HighLevel rejected the token: {exc.message}")
                raise
        # One refresh, one retry; a second 401 means the grant is gone.
        self.refresh(force=True)
        try:
            return self._send(op.method, path, version, query=query, body=body)
        except ConnectorError as exc:
            if exc.status == 401:
                self._needs_reauth(f"HighLevel rejected the refreshed token: {exc.message}")
            raise

    def _build(self, op: Operation, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        path = op.path
        query: dict[str, Any] = {}
        known = {p.name for p in op.params}
        unknown = set(params) - known
        if unknown:
            raise ConnectorError(
                f"“{op.name}” has no parameter {', '.join(sorted(unknown))}",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        for param in op.params:
            value = params.get(param.name)
            if value is None and param.name in ("locationId", "location_id"):
                value = self.connection.account_id
            if value is None:
                if param.required:
                    raise ConnectorError(
                        f"“{op.name}” needs the parameter {param.name}",
                        permanent=True,
                        kind=ErrorKind.VALIDATION,
                    )
                continue
            if param.location == "path":
                path = path.replace("{" + param.name + "}", http.quote_segment(str(value)))
            else:
                query[param.name] = value
        return path, query

    def rate_budget(self) -> tuple[int, float] | None:
        return int(settings.GHL_RATE_LIMIT_MAX), float(settings.GHL_RATE_LIMIT_INTERVAL_SECONDS)

    def test(self) -> CheckResult:
        try:
            data = self.call(
                "search-contacts-advanced",
                body={"locationId": self.connection.account_id, "pageLimit": 1},
            )
        except ConnectorError as exc:
            return CheckResult(False, exc.message)
        total = data.get("total")
        where = self.connection.account_name or self.connection.account_id
        if total is None:
            return CheckResult(True, f"Connected to {where}.")
        return CheckResult(True, f"Connected to {where}: {total} contacts readable.")
