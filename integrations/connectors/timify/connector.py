"""TIMIFY (DevAPI): customers and appointments, webhooks for both.

Facts: shared/reference/apps/FACTS.md §3. Access is gated: a TIMIFY Developer Platform
account (from the account manager), a Backend App with the Customers and Events scopes,
installed on the company; then its App ID and App Secret mint tokens (auth.py). Every call
sends `Authorization: Bearer <token>` and `company-id`. TIMIFY has no tasks and no notes;
its webhooks are unsigned, so the inbound URL checks a shared `X-Webhook-Secret` header.
"""

from __future__ import annotations

import secrets as secrets_module
from typing import Any
from urllib.parse import urlsplit

from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http
from integrations.connectors.base import (
    CheckResult,
    Connector,
    ConnectorError,
    ErrorKind,
    FormField,
    ObjectType,
    Operation,
    Scope,
)
from integrations.connectors.timify import records
from integrations.connectors.timify.auth import BASE_URLS, TimifyAuth
from integrations.connectors.timify.catalog import CATALOG
from integrations.connectors.timify.reading import TimifyReading

EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "event.created",
    "event.updated",
    "event.deleted",
)


class TimifyConnector(TimifyAuth, TimifyReading, Connector):
    kind = "timify"
    label = "TIMIFY"
    description = (
        "TIMIFY online booking: customers (their data lives in custom fields) and "
        "appointments, both ways for customers, with webhooks for changes. Needs a TIMIFY "
        "Developer Platform Backend App (App ID and App Secret) installed on the company."
    )
    auth_methods = ("app_secret",)
    scopes = (
        Scope("Customers", "Read and write customers and their custom fields.", default=True),
        Scope("Events", "Read, book and delete appointments (“events”).", default=True),
    )
    catalog = CATALOG
    event_types = EVENT_TYPES
    list_operation = "customer.list"
    record_fields = {
        "contact": ("firstName", "lastName", "email", "phone", "notes", "externalId"),
        "appointment": (
            "title",
            "start",
            "end",
            "duration",
            "notes",
            "customer_id",
            "service_id",
            "external_service_id",
            "resource_ids",
            "external_resource_ids",
        ),
    }
    required_hints = {
        "start": "TIMIFY needs a start on a 5-minute step (YYYY-MM-DD HH:mm)",
        "title": "TIMIFY needs a title unless a service and a duration are given",
    }
    object_types = {
        "contact": ObjectType("contact", label_field="fullName"),
        "appointment": ObjectType(
            "appointment", parent="contact", parent_field="customerId", label_field="title"
        ),
    }
    notice = (
        "TIMIFY has no tasks or notes: carry notes in an appointment's notes or in a "
        "customer custom field; its webhooks are unsigned, so they carry a shared secret."
    )
    account_noun = "Company"
    inbound_auth = "header_secret"
    connect_forms = {
        "app_secret": (
            FormField("app_id", "App ID", help="Developer Platform → your Backend App"),
            FormField("app_secret", "App Secret", kind="password", secret=True),
            FormField(
                "company_id",
                "Company id",
                help="The id of the TIMIFY company the app is installed on (24 characters)",
            ),
            FormField(
                "server",
                "TIMIFY server",
                kind="choice",
                choices=(
                    ("production", "Production — https://api.timify.com"),
                    ("staging", "Staging — https://api-stg.timify.com"),
                    ("custom", "Another URL (a sandbox)"),
                ),
                initial="production",
            ),
            FormField("base_url", "Other base URL", kind="url", required=False),
            FormField(
                "resource_id",
                "Resource for new appointments",
                required=False,
                help="A TIMIFY resource id; appointments we book need one",
            ),
            FormField(
                "webhook_secret",
                "Webhook secret",
                kind="password",
                required=False,
                secret=True,
                help="Put the same value in the X-Webhook-Secret header of TIMIFY's webhook; "
                "leave blank to keep the current one (a new connection gets a random one)",
            ),
        )
    }

    # --- inbound events ----------------------------------------------------------------
    @classmethod
    def event_record(cls, payload: Any) -> Any:
        """TIMIFY's webhook body {id, type, companyId, createdAt, data}: the record is
        `data`, a customer for customer.* and an appointment for event.*."""
        if not isinstance(payload, dict):
            return payload
        data = payload.get("data") if isinstance(payload.get("data"), dict) else payload
        kind = str(payload.get("type") or "")
        if kind.startswith("event."):
            return records.appointment(data, deleted=kind == "event.deleted")
        return records.customer(data)

    def inbound_event(self, payload: dict[str, Any]) -> tuple[str, str]:
        return str(payload.get("type") or "")[:100], str(payload.get("id") or "")[:150]

    # --- connecting --------------------------------------------------------------------
    @sensitive_variables()
    def connect_with(self, auth_method: str, values: dict[str, Any]) -> None:
        """Store the form's values, then mint a first token (which checks the secret)."""
        self.configure(values)
        self.mint_token()

    @sensitive_variables()
    def configure(self, values: dict[str, Any]) -> None:
        """Fill the (unsaved) connection from connect-form values; no call to TIMIFY."""
        conn = self.connection
        old = conn.credentials if conn.credentials_encrypted else {}
        server = str(values.get("server") or "production")
        if server == "custom":
            base_url = str(values.get("base_url") or "").strip().rstrip("/")
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConnectorError(
                    "give the other base URL as http(s)://host[/path]",
                    permanent=True,
                    kind=ErrorKind.VALIDATION,
                )
        elif server in BASE_URLS:
            base_url = BASE_URLS[server]
        else:
            raise ConnectorError(
                f"unknown TIMIFY server {server!r}", permanent=True, kind=ErrorKind.VALIDATION
            )
        app_id = str(values.get("app_id") or "").strip()
        company_id = str(values.get("company_id") or "").strip()
        app_secret = str(values.get("app_secret") or "").strip() or old.get("app_secret", "")
        if not app_id or not app_secret or not company_id:
            raise ConnectorError(
                "the App ID, App Secret and company id are all needed",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        webhook_secret = (
            str(values.get("webhook_secret") or "").strip()
            or old.get("webhook_secret")
            or "whsec_" + secrets_module.token_urlsafe(24)
        )
        conn.auth_method = "app_secret"
        conn.config = {
            **(conn.config or {}),
            "base_url": base_url,
            "server": server,
            "company_id": company_id,
            "resource_id": str(values.get("resource_id") or "").strip(),
        }
        conn.credentials = {
            "app_id": app_id,
            "app_secret": app_secret,
            "webhook_secret": webhook_secret,
        }
        conn.scopes_granted = [s.name for s in self.scopes]
        conn.account_id = company_id
        conn.account_name = conn.account_name or f"TIMIFY company {company_id[-6:]}"
        if not conn.inbound_token:
            conn.set_inbound_token(secrets_module.token_urlsafe(24))

    def facts(self) -> list[tuple[str, str]]:
        config = self.connection.config or {}
        lines = [("Server", self.base_url), ("Company id", str(config.get("company_id") or ""))]
        if config.get("resource_id"):
            lines.append(("Resource for new appointments", str(config["resource_id"])))
        if self.inbound_path:
            lines.append(("Webhook URL (header X-Webhook-Secret)", self.inbound_path))
        return lines

    # --- calling -----------------------------------------------------------------------
    @sensitive_variables()
    def _send(self, method: str, path: str, query: dict[str, Any], body: Any, token: str) -> Any:
        headers = {
            "Authorization": f"Bearer {token}",
            "company-id": str((self.connection.config or {}).get("company_id") or ""),
            "Accept": "application/json",
        }
        response = http.request(
            method,
            self.base_url + path,
            headers=headers,
            params=query or None,
            json_body=body,
            secrets=self._secrets(),
            guard=self.guarded,
        )
        return response.json()

    def request(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """One call with a token; on a 401 one new token and one retry, then re-auth."""
        token = self.ensure_token()
        try:
            return self._send(method, path, query or {}, body, token)
        except ConnectorError as exc:
            if exc.status != 401:
                if exc.status == 403:
                    exc.kind = ErrorKind.AUTH
                raise
        token = self.renew_token(seen=token)
        try:
            return self._send(method, path, query or {}, body, token)
        except ConnectorError as exc:
            if exc.status == 401:
                self._needs_reauth(f"TIMIFY rejected a fresh token: {exc.message}")
            raise

    def _path(self, op: Operation, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        path, query = op.path, {}
        known = {p.name: p for p in op.params}
        unknown = set(params) - set(known)
        if unknown:
            raise ConnectorError(
                f"“{op.name}” has no parameter {', '.join(sorted(unknown))}",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        for param in op.params:
            value = params.get(param.name)
            if value in (None, ""):
                if param.required:
                    raise ConnectorError(
                        f"“{op.name}” needs the parameter {param.name}",
                        permanent=True,
                        kind=ErrorKind.VALIDATION,
                    )
                continue
            if param.location == "path":
                path = path.replace("{" + param.name + "}", http.quote_segment(str(value)))
            elif param.location == "query":
                query[param.name] = value
        return path, query

    def call(self, operation_id: str, *, body: Any = None, **params: Any) -> Any:
        op = self.catalog[operation_id]
        if op.id == "customer.find":
            self._path(op, params)
            return {"data": self.find_customers(str(params["email"]))}
        if op.id == "appointment.create" and "id" in params:
            # The engine updates a linked record with its id: TIMIFY has no such endpoint.
            raise ConnectorError(
                "TIMIFY cannot change a booked appointment (its API only books and deletes); "
                "only new bookings are sent",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        if op.id == "appointment.delete":
            self._path(op, params)
            return self.delete_appointment(str(params["id"]))
        path, query = self._path(op, params)
        if op.id.startswith("customer.") and op.method in ("POST", "PATCH"):
            body = records.customer_body(body or {}, self.fields())
        if op.id == "customer.update_by_external_id":
            query["external"] = 1
        if op.id == "appointment.create":
            resource = str((self.connection.config or {}).get("resource_id") or "")
            body = records.appointment_body(body or {}, resource)
        data = self.request(op.method, path, query, body)
        return self._shape(op.id, data)

    def _shape(self, op_id: str, data: Any) -> Any:
        if not isinstance(data, dict) or op_id == "customfield.list":
            return data
        shape = records.appointment if op_id.startswith("appointment.") else self._customer
        if isinstance(data.get("data"), list):
            return {**data, "data": [shape(r) for r in data["data"]]}
        if isinstance(data.get("data"), dict):
            return {**data, "data": shape(data["data"]), "id": data["data"].get("id")}
        return data

    def _customer(self, record: Any) -> Any:
        return records.customer(record, self.fields())

    def fields(self) -> list[dict[str, Any]]:
        """The company's customer fields (read once per connector instance)."""
        cached = getattr(self, "_fields", None)
        if cached is None:
            data = self.request("GET", "/v1/customers/customfields", {"page": 1, "limit": 0})
            cached = [f for f in (data or {}).get("data") or [] if isinstance(f, dict)]
            self._fields = cached
        return cached

    def custom_field_names(self, object_type: str) -> dict[str, str]:
        if object_type != "contact":
            return {}
        try:
            return {str(f["id"]): str(f.get("label") or f["id"]) for f in self.fields()}
        except ConnectorError:
            return {}

    def delete_appointment(self, appointment_id: str) -> dict[str, Any]:
        data = self.request(
            "POST",
            "/v1/appointments/delete/bulk",
            body={
                "ids": [appointment_id],
                "has_notify_customers": False,
                "has_notify_resources": False,
            },
        )
        result = (data or {}).get("data") or {}
        if appointment_id in (result.get("notFound") or []):
            raise ConnectorError(
                f"TIMIFY has no appointment {appointment_id}", permanent=True, status=404
            )
        return result

    # --- checking ----------------------------------------------------------------------
    def test(self) -> CheckResult:
        where = self.connection.account_name or "the TIMIFY company"
        try:
            data = self.call("customer.list", page=1, limit=1)
        except ConnectorError as exc:
            if exc.kind == ErrorKind.AUTH:
                return CheckResult(False, f"TIMIFY refused the credentials: {exc.message}")
            return CheckResult(False, f"TIMIFY did not answer properly: {exc.message}")
        total = data.get("total") if isinstance(data, dict) else None
        return CheckResult(
            True,
            f"Connected to {where}: {total if total is not None else 'its'} customers readable.",
        )
