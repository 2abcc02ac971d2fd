"""The generic "Your App" connector: any app with an HTTP API, or none (webhooks only).

Everything app-specific is data on the connection: `connection.config` holds the base URL,
the auth style and, per object, the method and path of each operation (see DESIGN.md,
Connectors); `connection.credentials` holds the token, API key or username and password,
and the webhook secret. The class-level catalog describes the generic operations for a
wizard; each connection resolves its own catalog from its config.

Every URL here is user-given, so every request goes through the SSRF guard.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets as secrets_module
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http
from integrations.connectors.base import (
    CheckResult,
    Connector,
    ConnectorError,
    ErrorKind,
    Operation,
)
from integrations.connectors.rest import signing
from integrations.connectors.rest.catalog import (
    DEFAULT_OBJECTS,
    EVENT_SEND,
    PLACEHOLDER,
    build_catalog,
    dotted,
    event_types_of,
    object_types_of,
)

if TYPE_CHECKING:
    from integrations.models import Connection

AUTH_TYPES = ("bearer", "header", "basic", "none")
# Header names our auth may use; their values never reach a CallRecord.
_AUTH_HEADERS = {"authorization"}
DEFAULT_HEADER_NAME = "X-API-Key"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RestConnector(Connector):
    kind = "rest"
    label = "Your App (REST / webhooks)"
    description = (
        "Any app with an HTTP API: set its base URL, how it authenticates and the paths of "
        "its records. For an app without a public API, use only the signed webhooks: it "
        "posts events to a private Syncdeck URL and receives ours."
    )
    # bearer, header and basic credentials are all "api_key"; webhooks-only is a shared secret.
    auth_methods = ("api_key", "shared_secret")
    inbound_auth = "signature"
    own_page = ("dashboard:connection_app", "Paths and webhooks")
    connects_in_wizard = True
    catalog = build_catalog(DEFAULT_OBJECTS)
    # The class describes a connection with the default objects; an instance describes
    # its own configured objects (see __init__ and configure).
    event_types = event_types_of(DEFAULT_OBJECTS)
    object_types = object_types_of(DEFAULT_OBJECTS)
    record_fields = {
        "contact": ("first_name", "last_name", "email", "phone", "company", "tags", "notes"),
        "task": ("title", "due_date", "completed", "contact_id", "notes"),
        "note": ("body", "contact_id"),
        "appointment": ("title", "start_time", "end_time", "notes", "status", "contact_id"),
    }
    required_hints = {"email": "one of email, phone or last_name is required by Your App"}

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._resolve(connection.config or {})

    def _resolve(self, config: dict[str, Any]) -> None:
        """This connection's own operations, object types and events, from its config."""
        objects = config.get("objects") or {}
        self.catalog = build_catalog(objects, config.get("webhook_url") or "")  # type: ignore[misc]
        self.object_types = object_types_of(objects)  # type: ignore[misc]
        self.event_types = event_types_of(objects)  # type: ignore[misc]

    @classmethod
    def event_record(cls, payload: Any) -> Any:
        """Our signed events carry the record in `data` ({type, id, occurred_at, data}),
        whatever the object (contact, task, note, appointment)."""
        if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
            return payload["data"]
        return payload

    @classmethod
    def event_object(cls, payload: Any) -> str:
        """The object type of an event ("task" for "task.updated"); "" if it has no type."""
        event_type = payload.get("type") if isinstance(payload, dict) else None
        return str(event_type).rpartition(".")[0] if isinstance(event_type, str) else ""

    # --- configuring -----------------------------------------------------------------
    @sensitive_variables()
    def configure(
        self,
        base_url: str,
        auth_type: str = "bearer",
        *,
        token: str = "",
        api_key: str = "",
        username: str = "",
        password: str = "",
        header_name: str = "",
        webhook_url: str = "",
        webhook_secret: str = "",
        objects: dict[str, Any] | None = None,
        id_path: str = "",
        test: dict[str, Any] | None = None,
    ) -> None:
        """Fill the connection's config and credentials (from a wizard form).

        Keeps an existing inbound token and webhook secret, generating them when absent;
        empty secret arguments keep the stored value (a form that leaves them blank).
        """
        if auth_type not in AUTH_TYPES:
            raise ConnectorError(
                f"unknown auth type {auth_type!r}; use one of {', '.join(AUTH_TYPES)}",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        base_url = base_url.strip().rstrip("/")
        if base_url:
            _check_url_form(base_url, "base URL")
        if webhook_url:
            _check_url_form(webhook_url.strip(), "webhook URL")
        conn = self.connection
        config = dict(conn.config or {})
        old = conn.credentials if conn.credentials_encrypted else {}
        auth: dict[str, str] = {"type": auth_type}
        if auth_type == "header":
            auth["header_name"] = header_name.strip() or DEFAULT_HEADER_NAME
        if objects is None:
            # Keep what is configured; a new app with an API starts from the usual paths.
            objects = config.get("objects") or (copy.deepcopy(DEFAULT_OBJECTS) if base_url else {})
        config.update(
            {
                "base_url": base_url,
                "auth": auth,
                "objects": objects,
                "id_path": id_path or config.get("id_path") or "id",
            }
        )
        if test is not None:
            config["test"] = test
        if webhook_url:
            config["webhook_url"] = webhook_url.strip()
        config.pop("inbound_token", None)  # kept encrypted on the connection instead
        if not conn.inbound_token:
            conn.set_inbound_token(secrets_module.token_urlsafe(24))
        creds: dict[str, str] = {}
        if auth_type in ("bearer", "header"):
            if token or api_key:
                creds["token" if token else "api_key"] = token or api_key
            else:  # a form left it blank: keep what is stored
                creds.update({k: old[k] for k in ("token", "api_key") if old.get(k)})
        elif auth_type == "basic":
            creds["username"] = username or old.get("username", "")
            creds["password"] = password or old.get("password", "")
        creds["webhook_secret"] = (
            webhook_secret
            or old.get("webhook_secret")
            or "whsec_" + secrets_module.token_urlsafe(32)
        )
        if creds["webhook_secret"] != old.get("webhook_secret"):
            # A new secret is shown once on the connection's page (see rest/manage.py).
            config["webhook_secret_unseen"] = True
        conn.config = config
        conn.credentials = creds
        conn.auth_method = "shared_secret" if auth_type == "none" else "api_key"
        host = urlsplit(base_url or config.get("webhook_url", "")).hostname or ""
        conn.account_id = conn.account_id or host
        conn.account_name = conn.account_name or host
        self._resolve(config)

    @property
    def config(self) -> dict[str, Any]:
        return self.connection.config or {}

    @property
    def base_url(self) -> str:
        return str(self.config.get("base_url") or "").rstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url or self.config.get("webhook_url", "")).hostname or "the app"

    @property
    def inbound_token(self) -> str:
        return self.connection.inbound_token or ""

    # --- secrets and auth --------------------------------------------------------------
    def _secrets(self) -> list[str]:
        creds = self.connection.credentials
        values = [str(v) for v in creds.values() if v and isinstance(v, str)]
        if creds.get("username") or creds.get("password"):
            values.append(self._basic_value(creds))
        return values

    @staticmethod
    def _basic_value(creds: dict[str, Any]) -> str:
        pair = f"{creds.get('username', '')}:{creds.get('password', '')}"
        return base64.b64encode(pair.encode()).decode()

    @sensitive_variables()
    def _auth_headers(self) -> dict[str, str]:
        auth = self.config.get("auth") or {}
        auth_type = auth.get("type", "none")
        creds = self.connection.credentials
        secret = creds.get("token") or creds.get("api_key") or ""
        if auth_type == "bearer":
            return {"Authorization": f"Bearer {secret}"}
        if auth_type == "header":
            return {auth.get("header_name") or DEFAULT_HEADER_NAME: secret}
        if auth_type == "basic":
            return {"Authorization": f"Basic {self._basic_value(creds)}"}
        return {}

    def _scrub(self, record: http.CallRecord | None, secrets: list[str]) -> None:
        """Redact a custom auth header (e.g. X-Token) that http's name list does not know."""
        if record is None:
            return
        auth_names = {name.lower() for name in self._auth_headers()} | _AUTH_HEADERS
        record.request_headers = {
            k: http.REDACTED if k.lower() in auth_names else http.redact_text(v, secrets)
            for k, v in record.request_headers.items()
        }

    @sensitive_variables()
    def _request(self, method: str, url: str, **kwargs: Any) -> http.HttpResponse:
        secrets = self._secrets()
        rate = self.config.get("rate_limit") or {}
        try:
            response = http.request(
                method,
                url,
                secrets=secrets,
                guard=True,
                rate_key=f"rest:{self.connection.pk or self.host}" if rate else None,
                rate=(int(rate["requests"]), float(rate["per_seconds"])) if rate else None,
                **kwargs,
            )
        except ConnectorError as exc:
            self._scrub(exc.record, secrets)
            if exc.status == 403:
                exc.kind = ErrorKind.AUTH
            if exc.status and 400 <= exc.status < 500:
                exc.message = self._app_message(exc)
                exc.args = (exc.message,)
            raise
        self._scrub(response.record, secrets)
        return response

    def _app_message(self, exc: ConnectorError) -> str:
        """Add the field errors of a 422 ({"fields": {...}}) and the id of a 409 conflict."""
        body: Any = None
        if exc.record is not None:
            try:
                body = json.loads(exc.record.response_body)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            return exc.message
        extra = []
        fields = body.get("fields") or body.get("errors")
        if isinstance(fields, dict):
            extra.append("; ".join(f"{k}: {_flat(v)}" for k, v in fields.items()))
        if exc.status == 409 and body.get("id"):
            extra.append(f"existing record {body['id']}")
        return exc.message + (" (" + "; ".join(extra) + ")" if extra else "")

    # --- calling -----------------------------------------------------------------------
    def _build(self, op: Operation, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        spec = self._spec(op.id)
        path = op.path
        for name in op.path_params:
            value = params.pop(name, None)
            if value is None or value == "":
                raise ConnectorError(
                    f"“{op.name}” needs the parameter {name}",
                    permanent=True,
                    kind=ErrorKind.VALIDATION,
                )
            path = path.replace("{" + name + "}", http.quote_segment(str(value)))
        query: dict[str, Any] = {}
        used: set[str] = set()
        for key, template in (spec.get("query") or {}).items():
            names = PLACEHOLDER.findall(str(template))
            if any(params.get(n) is None for n in names):
                continue  # an optional filter the caller did not give
            used.update(names)
            query[key] = PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), str(template))
        # Anything else (page, per_page, …) goes to the query string as given.
        query.update({k: v for k, v in params.items() if k not in used and v is not None})
        return path, query

    def _spec(self, op_id: str) -> dict[str, Any]:
        object_name, _, verb = op_id.rpartition(".")
        return ((self.config.get("objects") or {}).get(object_name) or {}).get(verb) or {}

    def call(self, operation_id: str, *, body: Any = None, **params: Any) -> Any:
        """Run one operation of this connection: `{name}` placeholders of the path and the
        query are filled from `params` (URL-quoted); other params go to the query string.
        Returns the parsed JSON answer (None for an empty one, e.g. 204)."""
        op = self.catalog[operation_id]
        if op.id == EVENT_SEND:
            body = dict(body or {}, **params)
            return self.send_event(body.get("type", ""), body.get("data"), body.get("id"))
        if not self.base_url:
            raise ConnectorError(
                "this connection has no base URL; it only exchanges webhooks",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        path, query = self._build(op, dict(params))
        headers = {"Accept": "application/json", **self._auth_headers()}
        response = self._request(
            op.method, self.base_url + path, headers=headers, params=query, json_body=body
        )
        return response.json()

    def records(self, operation_id: str, data: Any) -> list[Any]:
        """The list of records in a list answer (at the operation's `list_path`)."""
        op = self.catalog[operation_id]
        found = dotted(data, op.envelope or "")
        if isinstance(found, list):
            return found
        return [] if found is None else [found]

    def record_id(self, record: Any) -> str:
        """A created record's id, at the dotted `id_path` of the config (default "id")."""
        value = dotted(record, str(self.config.get("id_path") or "id"))
        return "" if value is None else str(value)

    def find(self, object_name: str, **params: Any) -> list[Any]:
        op_id = f"{object_name}.find"
        return self.records(op_id, self.call(op_id, **params))

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        """The record at its `<object>.get` path (None when the app answers 404)."""
        op_id = f"{object_type}.get"
        if not self._spec(op_id):
            raise NotImplementedError(f"{self.connection} has no get path for {object_type}s")
        op = self.catalog[op_id]
        try:
            data = self.call(op_id, **{name: record_id for name in op.path_params[:1]})
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        record = dotted(data, op.envelope or "")
        return record if isinstance(record, dict) else None

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        conn = self.connection
        op_id = f"{object_type}.list"
        try:
            self.catalog[op_id]
        except ConnectorError:
            return None, f"{conn} has no list path for {object_type}s to read a sample."
        records = self.records(op_id, self.call(op_id, page=1, per_page=1))
        if not records:
            return None, f"{conn} has no {object_type}s yet; add one to see a preview."
        return records[0], f"The first {object_type} of {conn} (read just now)."

    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[Any], str]:
        """Records changed since `cursor` (all of them when empty), oldest first."""
        object_name = trigger_config.get("object", "contact")
        op_id = f"{object_name}.list"
        spec = self._spec(op_id)
        if not spec:
            raise ConnectorError(
                f"no list operation is configured for {object_name}; polling needs one",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        per_page = int(spec.get("per_page", 100))
        updated_field = spec.get("updated_field", "updated_at")
        limit = int(trigger_config.get("max_records", 100_000))
        records: list[Any] = []
        page = 1
        while len(records) < limit:
            params: dict[str, Any] = {
                spec.get("page_param", "page"): page,
                spec.get("per_page_param", "per_page"): per_page,
            }
            if cursor:
                params[spec.get("since_param", "updated_since")] = cursor
            batch = self.records(op_id, self.call(op_id, **params))
            records.extend(batch)
            if len(batch) < per_page:
                break
            page += 1
        records = records[:limit]
        last = records[-1].get(updated_field) if records and isinstance(records[-1], dict) else None
        return records, str(last or cursor)

    # --- outbound events ---------------------------------------------------------------
    @sensitive_variables()
    def send_event(self, type: str, data: Any, event_id: str | None = None) -> dict[str, Any]:
        """POST one signed event to the app's webhook URL; returns its id and the answer."""
        url = str(self.config.get("webhook_url") or "")
        if not url:
            raise ConnectorError(
                "no webhook URL is set for this app", permanent=True, kind=ErrorKind.VALIDATION
            )
        if not type:
            raise ConnectorError("an event needs a type", permanent=True, kind=ErrorKind.VALIDATION)
        secret = self.connection.credentials.get("webhook_secret") or ""
        if not secret:
            raise ConnectorError(
                "no webhook secret is set for this app", permanent=True, kind=ErrorKind.AUTH
            )
        event_id = event_id or f"evt_{uuid.uuid4().hex}"
        event = {"type": type, "id": event_id, "occurred_at": _now_iso(), "data": data}
        raw = json.dumps(event, separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json",
            signing.SIGNATURE_HEADER: signing.sign(secret, raw, int(time.time())),
        }
        response = self._request("POST", url, headers=headers, data=raw)
        try:
            answer = response.json()
        except ConnectorError:
            answer = response.text[:500]
        return {"id": event_id, "status": response.status, "response": answer}

    def rate_budget(self) -> tuple[int, float] | None:
        rate = self.config.get("rate_limit") or {}
        return (int(rate["requests"]), float(rate["per_seconds"])) if rate else None

    # --- checking ----------------------------------------------------------------------
    def test(self) -> CheckResult:
        spec = self.config.get("test") or self._spec(
            next((op.id for op in self.catalog if op.method == "GET" and op.id != EVENT_SEND), "")
        )
        if not self.base_url:
            if self.config.get("webhook_url"):
                return CheckResult(True, f"Webhooks only: events go to {self.host}.")
            return CheckResult(False, "Set the app's base URL or its webhook URL first.")
        if not spec or PLACEHOLDER.search(str(spec.get("path", ""))):
            return CheckResult(
                False, "Set a test request (a GET without placeholders, e.g. /contacts)."
            )
        method = str(spec.get("method") or "GET").upper()
        path = "/" + str(spec.get("path") or "").lstrip("/")
        headers = {"Accept": "application/json", **self._auth_headers()}
        try:
            response = self._request(
                method, self.base_url + path, headers=headers, params=spec.get("query") or None
            )
        except ConnectorError as exc:
            if exc.kind == ErrorKind.AUTH:
                return CheckResult(
                    False, f"{self.host} refused the credentials ({exc.message}). Check them."
                )
            return CheckResult(False, f"{method} {path} on {self.host} failed: {exc.message}")
        return CheckResult(
            True, f"Connected to {self.host}: {method} {path} answered {response.status}."
        )


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _check_url_form(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectorError(
            f"the {what} must be an http(s) URL, not {url!r}",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )
