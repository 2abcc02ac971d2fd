"""HighLevel (GHL / LeadConnector) API v2 connector.

Facts it relies on are in shared/reference/ghl/FACTS.md: OAuth authorize and token URLs
(§1), single-use rotating refresh tokens (§1, §10), the `Version` header per operation (§3),
rate-limit headers (§4), error bodies (§6).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http, oauth
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
from integrations.connectors.ghl.webhooks import KNOWN_EVENT_TYPES
from integrations.locks import LockTimeout, named_lock

CATALOG_DIR = Path(__file__).parent / "catalog"
DEFAULT_VERSION = "2021-07-28"
# GHL answers 401 both for a bad token and for a token that lacks a scope; only the first
# is cured by refreshing.
SCOPE_MESSAGE = "not authorized for this scope"


@cache
def load_catalog() -> Catalog:
    catalog = Catalog()
    for path in sorted(CATALOG_DIR.glob("*.json")):
        for entry in json.loads(path.read_text()):
            params = tuple(Param(**p) for p in entry.pop("params"))
            entry.pop("spec_operation_id", None)
            entry.pop("has_body", None)
            entry["body_required"] = tuple(entry["body_required"])
            catalog.operations[entry["id"]] = Operation(params=params, **entry)
    return catalog


class GHLConnector(Connector):
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
    def authorization_url(self, state: str, scopes: list[str]) -> str:
        return oauth.authorization_url(
            settings.GHL_AUTHORIZE_URL,
            client_id=settings.GHL_CLIENT_ID,
            redirect_uri=settings.GHL_REDIRECT_URI,
            scopes=scopes,
            state=state,
        )

    @sensitive_variables()
    def complete_authorization(self, code: str) -> None:
        token = oauth.exchange_code(
            settings.GHL_TOKEN_URL,
            client_id=settings.GHL_CLIENT_ID,
            client_secret=settings.GHL_CLIENT_SECRET,
            redirect_uri=settings.GHL_REDIRECT_URI,
            code=code,
            user_type="Location",
        )
        if not token.get("locationId"):
            raise ConnectorError(
                "HighLevel returned a company (agency) token; choose a sub-account location",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        conn = self.connection
        conn.auth_method = "oauth2"
        conn.environment = self.environment()
        conn.account_id = token["locationId"]
        conn.company_id = token.get("companyId") or ""
        self._store_token(token)
        conn.account_name = self.fetch_location_name() or conn.account_name

    @sensitive_variables()
    def connect_with_pit(self, token: str, location_id: str) -> None:
        conn = self.connection
        conn.auth_method = "pit"
        conn.environment = self.environment()
        conn.account_id = location_id
        conn.credentials = {"pit": token}
        conn.expires_at = None
        conn.account_name = self.fetch_location_name() or conn.account_name

    @sensitive_variables()
    def _store_token(self, token: dict[str, Any]) -> None:
        conn = self.connection
        conn.credentials = {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token", ""),
            "user_id": token.get("userId", ""),
        }
        scope = token.get("scope")
        if isinstance(scope, list):
            conn.scopes_granted = list(scope)
        elif scope:
            conn.scopes_granted = scope.split()
        expires_in = int(token.get("expires_in") or 86399)
        conn.expires_at = timezone.now() + timedelta(seconds=expires_in)
        conn.last_refreshed_at = timezone.now()

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
    def _secrets(self) -> list[str]:
        creds = self.connection.credentials
        return [creds.get("access_token", ""), creds.get("refresh_token", ""), creds.get("pit", "")]

    def access_token(self) -> str:
        creds = self.connection.credentials
        return creds.get("pit") or creds.get("access_token", "")

    @sensitive_variables()
    def refresh(self, *, force: bool = False) -> None:
        """Refresh the access token under a lock: GHL refresh tokens are single-use.

        Whoever gets the lock second re-reads the connection and finds the work done.
        `force` refreshes even before expiry (after a 401), unless another worker already
        replaced the token we were using.
        """
        conn = self.connection
        if conn.auth_method != "oauth2":
            raise ConnectorError(
                "a Private Integration Token cannot be refreshed; rotate it in HighLevel "
                "(Settings → Private Integrations) and update the connection",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        if conn.pk is None:
            raise ConnectorError(
                "cannot refresh a connection that is not saved",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        seen_token = self.access_token()
        try:
            with named_lock(f"ghl-refresh:{conn.pk}", timeout=60, wait=45):
                self._refresh_locked(seen_token, force)
        except LockTimeout as exc:
            raise ConnectorError(
                "another worker is still refreshing the HighLevel token; try again shortly",
                kind=ErrorKind.TRANSIENT,
                retry_after=5,
            ) from exc

    def _refresh_locked(self, seen_token: str, force: bool) -> None:
        conn = self.connection
        conn.refresh_from_db()
        margin = settings.GHL_REFRESH_MARGIN_SECONDS
        if self.access_token() != seen_token:
            return  # another worker refreshed while we waited
        if not force and not conn.expires_within(margin):
            return
        refresh_token = conn.credentials.get("refresh_token")
        if not refresh_token:
            self._needs_reauth("no refresh token stored; reconnect HighLevel")
            raise ConnectorError("no refresh token", permanent=True, kind=ErrorKind.AUTH)
        try:
            token = oauth.refresh_token(
                settings.GHL_TOKEN_URL,
                client_id=settings.GHL_CLIENT_ID,
                client_secret=settings.GHL_CLIENT_SECRET,
                refresh_token=refresh_token,
                user_type="Location",
            )
        except ConnectorError as exc:
            if exc.permanent:
                self._needs_reauth(f"token refresh refused: {exc.message}")
            raise
        self._store_token(token)
        conn.save(
            update_fields=[
                "credentials_encrypted",
                "scopes_granted",
                "expires_at",
                "last_refreshed_at",
                "updated",
            ]
        )

    def _needs_reauth(self, reason: str) -> None:
        """Mark the connection; an unsaved one (being tested before saving) only in memory."""
        conn = self.connection
        if conn.pk is None:
            conn.status = "needs_reauth"
            conn.last_error = reason[:500]
            conn.last_error_at = timezone.now()
            return
        conn.mark_needs_reauth(reason)

    def ensure_fresh(self) -> None:
        conn = self.connection
        if conn.auth_method == "oauth2" and conn.expires_within(
            settings.GHL_REFRESH_MARGIN_SECONDS
        ):
            self.refresh()

    # --- calling ---------------------------------------------------------------------
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
        return response.json()

    def call(self, operation_id: str, *, body: Any = None, **params: Any) -> Any:
        """Run one catalog operation: path and query parameters by name, JSON `body`."""
        op = self.catalog[operation_id]
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
            return self._send(op.method, path, op.version, query=query, body=body)
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
            return self._send(op.method, path, op.version, query=query, body=body)
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
            if value is None and param.name == "locationId":
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

    def iterate(self, operation_id: str, *, page_size: int = 100, **params: Any) -> Any:
        """Yield every record of a paginated list operation."""
        op = self.catalog[operation_id]
        if op.pagination == "searchAfter":
            body = dict(params.pop("body", None) or {})
            body.setdefault("pageLimit", page_size)
            while True:
                data = self.call(operation_id, body=dict(body), **params)
                items = data.get(op.envelope or "contacts") or []
                yield from items
                if len(items) < body["pageLimit"] or not items[-1].get("searchAfter"):
                    return
                body["searchAfter"] = items[-1]["searchAfter"]
        elif op.pagination == "startAfterId":
            params.setdefault("limit", page_size)
            while True:
                data = self.call(operation_id, **params)
                items = data.get(op.envelope or "contacts") or []
                yield from items
                if len(items) < params["limit"]:
                    return
                params["startAfterId"] = items[-1]["id"]
        elif op.pagination == "skip":
            params.setdefault("limit", page_size)
            skip = 0
            while True:
                data = self.call(operation_id, skip=skip, **params)
                items = data.get(op.envelope or "contacts") or []
                yield from items
                if len(items) < params["limit"]:
                    return
                skip += len(items)
        else:
            data = self.call(operation_id, **params)
            yield from (data.get(op.envelope) or []) if op.envelope else [data]

    # One record by id, per object type: (operation, id parameter, parent parameter).
    record_getters: ClassVar[dict[str, tuple[str, str, str]]] = {
        "contact": ("get-contact", "contactId", ""),
        "task": ("get-task", "taskId", "contactId"),
        "note": ("get-note", "id", "contactId"),
        "appointment": ("get-appointment", "eventId", ""),
    }

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        """The record as HighLevel has it now (None when gone); tasks and notes need their
        contact's id."""
        getter = self.record_getters.get(object_type)
        if getter is None:
            raise NotImplementedError(f"{self.label} cannot read one {object_type} record")
        operation, id_param, parent_param = getter
        op = self.catalog[operation]
        params = {id_param: record_id}
        if parent_param:
            if not parent_id:
                return None
            params[parent_param] = parent_id
        try:
            data = self.call(operation, **params)
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        record = data.get(op.envelope) if op.envelope and isinstance(data, dict) else data
        return record if isinstance(record, dict) else None

    def _pollable(self, trigger_config: dict[str, Any]) -> Operation:
        """The chosen list operation, or a clear error when it cannot be polled."""
        op = self.catalog[trigger_config.get("operation") or self.list_operation]
        what = trigger_config.get("object") or "contact"
        hint = (
            "Poll “Search Contacts” (search-contacts-advanced), or use HighLevel's webhooks "
            "for this kind of record."
        )
        if op.role != "trigger":
            reason = "it is an action, not a list of records"
        elif any(p.required and p.name != "locationId" and p.location == "path" for p in op.params):
            needs = ", ".join(op.path_params)
            reason = f"it reads the records of one {needs.removesuffix('Id')} ({needs})"
        elif op.envelope != "contacts" or not op.pagination:
            reason = "it does not list the location's records page by page"
        elif what != "contact":
            reason = f"it lists contacts, and this flow syncs {what}s"
        else:
            missing = [
                p.name
                for p in op.params
                if p.required
                and p.name != "locationId"
                and p.name not in (trigger_config.get("params") or {})
            ]
            if not missing:
                return op
            reason = f"it needs {', '.join(missing)} in the trigger's parameters"
        raise ConnectorError(
            f"“{op.name}” ({op.id}) cannot be polled: {reason}. {hint}",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )

    def poll_pages(
        self, trigger_config: dict[str, Any], cursor: str
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Pages of the contacts updated since `cursor` (an ISO dateUpdated), each with the
        cursor after it, from the operation chosen in the trigger (the search by default).

        The search is sorted by dateUpdated, oldest first, with `gte`: two contacts can share
        a timestamp, and the runs they make are deduplicated by (id, dateUpdated), so
        re-reading the boundary costs nothing. The plain lists are not sorted by date: they
        are filtered here and the cursor is the newest dateUpdated seen.
        """
        op = self._pollable(trigger_config)
        size = min(500, max(1, int(trigger_config.get("page_size") or 200)))
        if op.pagination == "searchAfter":
            body: dict[str, Any] = {
                "locationId": self.connection.account_id,
                "sort": [{"field": "dateUpdated", "direction": "asc"}],
            }
            if cursor:
                body["filters"] = [
                    {"field": "dateUpdated", "operator": "range", "value": {"gte": cursor}}
                ]
            items = self.iterate(op.id, page_size=size, body=body)
        else:
            params = dict(trigger_config.get("params") or {})
            # The plain lists take at most 100 per request (the search takes 500).
            items = self.iterate(op.id, page_size=min(size, 100), **params)
        newest = cursor
        page: list[dict[str, Any]] = []
        for item in items:
            changed = str(item.get("dateUpdated") or "")
            if cursor and changed and changed < cursor:
                continue
            newest = max(newest, changed)
            page.append(item)
            if len(page) == size:
                yield page, newest
                page = []
        if page:
            yield page, newest

    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[dict[str, Any]], str]:
        """Every contact updated since `cursor` (up to `max_records` when given)."""
        limit = int(trigger_config.get("max_records") or 0)
        records: list[dict[str, Any]] = []
        new_cursor = cursor
        for page, after in self.poll_pages(trigger_config, cursor):
            records.extend(page)
            new_cursor = after
            if limit and len(records) >= limit:
                records = records[:limit]
                new_cursor = max(cursor, str(records[-1].get("dateUpdated") or ""))
                break
        return records, new_cursor

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        conn = self.connection
        body = {"locationId": conn.account_id, "pageLimit": 1 if object_type == "contact" else 10}
        contacts = (self.call("search-contacts-advanced", body=body) or {}).get("contacts") or []
        if object_type == "contact":
            if not contacts:
                return None, f"{conn} has no contacts yet; add one to see a preview."
            return contacts[0], f"The first contact of {conn} (searched just now)."
        listing = {
            "task": ("get-all-tasks", "tasks"),
            "note": ("get-all-notes", "notes"),
            "appointment": ("get-appointments-for-contact", "events"),
        }
        if object_type not in listing:
            return None, f"No sample for {object_type} records."
        op_id, key = listing[object_type]
        for contact in contacts:
            items = (self.call(op_id, contactId=contact["id"]) or {}).get(key) or []
            if items:
                where = contact.get("email") or contact["id"]
                return (
                    {"contactId": contact["id"], **items[0]},
                    f"A {object_type} of {where} in {conn}.",
                )
        return None, f"None of the first contacts of {conn} has a {object_type}."

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
