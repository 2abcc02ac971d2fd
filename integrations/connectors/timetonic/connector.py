"""TimeTonic: books of smart tables, reached through one RPC endpoint (FACTS.md §2).

TimeTonic has no fixed contact or task objects: after connecting, the operator picks a
book and, per object type (contact, task, note, appointment), the table that holds it.
The mapping then lists that table's fields by name; a link field relates a task, note or
appointment row to its contact row. Changes come from polling (a hash per row) or from
TimeTonic's "Call an API" automation posting to our inbound URL with a bearer token.
"""

from __future__ import annotations

import json
import secrets as secrets_module
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.views.decorators.debug import sensitive_variables

from integrations.connectors.base import (
    Catalog,
    CheckResult,
    Connector,
    ConnectorError,
    ErrorKind,
    FormField,
    ObjectType,
    Operation,
    Param,
)
from integrations.connectors.timetonic.client import DEFAULT_BASE_URL, RpcMixin
from integrations.connectors.timetonic.rows import RowsMixin

if TYPE_CHECKING:
    from integrations.models import Connection

OBJECTS = ("contact", "task", "note", "appointment")
CHILDREN = ("task", "note", "appointment")
# Table names tried first when choosing a table for an object type.
GUESSES = {
    "contact": ("contacts", "contact", "clients", "people"),
    "task": ("tasks", "task", "todo"),
    "note": ("notes", "note", "comments"),
    "appointment": ("appointments", "appointment", "events", "meetings"),
}
CATALOG_FILE = Path(__file__).with_name("catalog.json")


def _load_catalog() -> Catalog:
    data = json.loads(CATALOG_FILE.read_text())
    ops = {}
    for raw in data["operations"]:
        ops[raw["id"]] = Operation(
            id=raw["id"],
            name=raw["name"],
            category=raw["category"],
            role=raw["role"],
            method=raw["method"],
            path=data["endpoint"],
            description=f"req={raw['function']}: {raw['description']}",
            params=tuple(Param(**p) for p in raw.get("params", [])),
            envelope=raw.get("envelope"),
            pagination=raw.get("pagination"),
        )
    return Catalog(ops)


def _validation(message: str) -> ConnectorError:
    return ConnectorError(message, permanent=True, kind=ErrorKind.VALIDATION)


class TimeTonicConnector(RpcMixin, RowsMixin, Connector):
    kind = "timetonic"
    label = "TimeTonic"
    description = (
        "TimeTonic books of smart tables (contacts, tasks, notes, appointments in tables you "
        "choose), through its documented api.php: rows read, created, updated and deleted; "
        "changes polled, or pushed by its “Call an API” automation."
    )
    auth_methods = ("session_key", "login")
    inbound_auth = "bearer"
    catalog = _load_catalog()
    list_operation = "contact.list"
    event_types = tuple(f"{o}.{e}" for o in OBJECTS for e in ("created", "updated"))
    account_noun = "User"
    has_settings = True
    notice = (
        "TimeTonic offers no webhook subscriptions: changes are polled, or sent by a "
        "“Call an API” automation you add to each table; it signs nothing, so the inbound "
        "URL checks a bearer token."
    )
    connect_forms = {
        "session_key": (
            FormField("o_u", "User id (o_u)", help="Your TimeTonic user id, e.g. api_acme."),
            FormField(
                "sesskey",
                "API key (sesskey)",
                kind="password",
                secret=True,
                help="Profile → API key (Sesskey) → Generate.",
            ),
            FormField("base_url", "Base URL", kind="url", required=False, initial=DEFAULT_BASE_URL),
        ),
        "login": (
            FormField("login", "Login"),
            FormField(
                "password",
                "Password",
                kind="password",
                secret=True,
                help="Used once to get an oauthkey; never stored.",
            ),
            FormField("appkey", "Appkey", secret=True, help="From createAppkey (appname)."),
            FormField("base_url", "Base URL", kind="url", required=False, initial=DEFAULT_BASE_URL),
        ),
    }

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        config = connection.config or {}
        tables = config.get("tables") or {}
        self.object_types = {  # type: ignore[misc]
            "contact": ObjectType("contact", label_field=str(config.get("label_field") or "")),
            **{
                name: ObjectType(
                    name, parent="contact", parent_field=str(tables[name].get("link") or "Contact")
                )
                for name in CHILDREN
                if name in tables
            },
        }
        self.record_fields = {  # type: ignore[misc]
            name: tuple(str(f) for f in spec.get("fields") or ()) for name, spec in tables.items()
        }

    # --- configuration -------------------------------------------------------------------
    def book(self) -> dict[str, str]:
        config = self.connection.config or {}
        if not config.get("b_c"):
            raise _validation("choose a TimeTonic book in the connection's settings first")
        o_u = str(self.connection.credentials.get("o_u") or "")
        return {"b_c": str(config["b_c"]), "b_o": str(config.get("b_o") or o_u)}

    def table(self, object_type: str) -> dict[str, Any]:
        table = ((self.connection.config or {}).get("tables") or {}).get(object_type)
        if not table or not table.get("catId"):
            raise _validation(
                f"no TimeTonic table is chosen for {object_type}s; choose one in the "
                "connection's settings"
            )
        return table

    # --- connecting ----------------------------------------------------------------------
    @sensitive_variables()
    def connect_with(self, auth_method: str, values: dict[str, Any]) -> None:
        conn = self.connection
        old = conn.credentials if conn.credentials_encrypted else {}
        base = str(values.get("base_url") or DEFAULT_BASE_URL).strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise _validation("the base URL must start with http:// or https://")
        conn.config = {**(conn.config or {}), "base_url": base}
        creds: dict[str, Any] = {"webhook_secret": old.get("webhook_secret") or ""}
        if auth_method == "session_key":
            o_u = str(values.get("o_u") or "").strip()
            sesskey = str(values.get("sesskey") or "").strip() or old.get("sesskey", "")
            if not o_u or not sesskey:
                raise _validation("give the user id (o_u) and the sesskey")
            creds.update(o_u=o_u, sesskey=sesskey)
        elif auth_method == "login":
            login = str(values.get("login") or "").strip()
            appkey = str(values.get("appkey") or "").strip()
            password = str(values.get("password") or "")
            if not login or not password or not appkey:
                raise _validation("give the login, the password and the appkey")
            got = self.rpc("createOauthkey", login=login, pwd=password, appkey=appkey)
            o_u, oauthkey = str(got.get("o_u") or ""), str(got.get("oauthkey") or "")
            if not o_u or not oauthkey:
                raise ConnectorError("TimeTonic gave no oauthkey for this login", permanent=True)
            minted = self.rpc("createSesskey", o_u=o_u, u_c=o_u, oauthkey=oauthkey)
            # Only the oauthkey is kept (TimeTonic: never save the login or password).
            creds.update(o_u=o_u, oauthkey=oauthkey, sesskey=str(minted.get("sesskey") or ""))
        else:
            raise _validation(f"TimeTonic does not connect with {auth_method!r}")
        if not creds["webhook_secret"]:
            creds["webhook_secret"] = "tt_" + secrets_module.token_urlsafe(32)
        conn.credentials = creds
        conn.auth_method = auth_method
        if not conn.inbound_token:
            conn.set_inbound_token(secrets_module.token_urlsafe(24))
        conn.account_id = creds["o_u"]
        conn.account_name = conn.account_name or f"TimeTonic {creds['o_u']}"

    def test(self) -> CheckResult:
        try:
            body = self.rpc("getUserInfo")
        except ConnectorError as exc:
            if exc.kind == ErrorKind.AUTH:
                return CheckResult(False, f"TimeTonic refused the session: {exc.message}")
            return CheckResult(False, f"TimeTonic could not be reached: {exc.message}")
        user = (body.get("userInfo") or {}).get("u_c") or self.connection.credentials.get("o_u")
        return CheckResult(True, f"Connected to TimeTonic as {user}.")

    def refresh(self, *, force: bool = False) -> None:
        """Mint a new sesskey from the stored oauthkey (login connections only)."""
        if reason := self._remint(ConnectorError("refresh asked")):
            self._needs_reauth(reason)
            raise ConnectorError(
                f"this TimeTonic connection cannot mint a sesskey ({reason}); reconnect it",
                permanent=True,
                kind=ErrorKind.AUTH,
            )

    # --- settings: the book and a table per object type -----------------------------------
    def _books(self) -> list[dict[str, Any]]:
        return list((self.rpc("getAllBooks").get("allBooks") or {}).get("books") or [])

    def _tables(self, b_c: str, b_o: str) -> list[dict[str, Any]]:
        body = self.rpc("getBookTables", b_c=b_c, b_o=b_o, includeFields=1)
        return list((body.get("bookTables") or {}).get("categories") or [])

    def settings_fields(self) -> tuple[FormField, ...]:
        config = self.connection.config or {}
        books = self._books()
        book_choices = tuple(
            (str(b["b_c"]), str((b.get("ownerPrefs") or {}).get("title") or b["b_c"]))
            for b in books
        )
        b_c = str(config.get("b_c") or (books[0]["b_c"] if books else ""))
        owner = next((str(b.get("b_o") or "") for b in books if str(b["b_c"]) == b_c), "")
        tables = self._tables(b_c, owner) if b_c else []
        table_choices = (("", "— none —"), *((str(t["id"]), str(t["name"])) for t in tables))
        chosen = config.get("tables") or {}
        fields = [FormField("b_c", "Book", kind="choice", choices=book_choices, initial=b_c)]
        for name in OBJECTS:
            initial = str((chosen.get(name) or {}).get("catId") or _guess(name, tables))
            fields.append(
                FormField(
                    f"table_{name}",
                    f"Table of {name}s",
                    kind="choice",
                    required=name == "contact",
                    choices=table_choices,
                    initial=initial,
                    help="Tables of the book chosen above (save to list another book's).",
                )
            )
        fields.append(
            FormField(
                "webhook_secret",
                "Bearer token of your “Call an API” automations",
                kind="password",
                required=False,
                secret=True,
                help="The token you put in each automation's Authorization: Bearer header "
                "(at least 16 characters). Leave blank to keep the current one.",
            )
        )
        return tuple(fields)

    def apply_settings(self, values: dict[str, Any]) -> None:
        b_c = str(values.get("b_c") or "")
        book = next((b for b in self._books() if str(b["b_c"]) == b_c), None)
        if book is None:
            raise _validation(f"the book {b_c or '(none)'} is not one of this user's books")
        b_o = str(book.get("b_o") or self.connection.credentials.get("o_u") or "")
        chosen = {name: str(values.get(f"table_{name}") or "") for name in OBJECTS}
        self.use_tables(b_c, b_o, self._tables(b_c, b_o), chosen)
        token = str(values.get("webhook_secret") or "").strip()
        if token:
            if len(token) < 16:
                raise _validation("the bearer token needs at least 16 characters")
            self.connection.credentials = {**self.connection.credentials, "webhook_secret": token}

    def use_tables(
        self, b_c: str, b_o: str, categories: list[dict[str, Any]], chosen: dict[str, str]
    ) -> None:
        """Store the book and, per object type, the chosen table (catId) with its field
        names and, for a child, the link field that points at the contact table.
        `categories` is getBookTables' list (id, name, fields)."""
        tables = {str(t["id"]): t for t in categories}
        picked: dict[str, Any] = {}
        for name in OBJECTS:
            cat_id = str(chosen.get(name) or "")
            if not cat_id:
                continue
            if cat_id not in tables:
                raise _validation(f"table {cat_id} is not in book {b_c}")
            picked[name] = {
                "catId": int(cat_id),
                "name": tables[cat_id]["name"],
                "fields": [f["name"] for f in tables[cat_id].get("fields") or []],
                "types": {f["name"]: f.get("type", "") for f in tables[cat_id].get("fields") or []},
            }
        if "contact" not in picked:
            raise _validation("choose the table that holds contacts")
        contact_cat = picked["contact"]["catId"]
        for name in CHILDREN:
            if name not in picked:
                continue
            links = [
                f
                for f in tables[str(picked[name]["catId"])].get("fields") or []
                if f.get("type") == "link"
                and str(f.get("linkedTableId") or contact_cat) == str(contact_cat)
            ]
            if not links:
                raise _validation(
                    f"the {name} table “{picked[name]['name']}” has no link field to the "
                    f"contact table; add one in TimeTonic"
                )
            picked[name]["link"] = links[0]["name"]
        contact_fields = tables[str(contact_cat)].get("fields") or []
        email = next((f["name"] for f in contact_fields if f.get("type") == "email"), "")
        config = dict(self.connection.config or {})
        config.update({"b_c": b_c, "b_o": b_o, "tables": picked, "label_field": email})
        self.connection.config = config
        self.__init__(self.connection)  # type: ignore[misc]

    def facts(self) -> list[tuple[str, str]]:
        config = self.connection.config or {}
        lines = [("User (o_u)", str(self.connection.credentials.get("o_u") or ""))]
        if self.inbound_path:
            lines.append(
                (
                    "Call an API URL",
                    f"{django_settings.SITE_URL}{self.inbound_path} "
                    "(Authorization: Bearer <the token set in Settings>)",
                )
            )
        if config.get("b_c"):
            lines.append(("Book", str(config["b_c"])))
        for name, table in (config.get("tables") or {}).items():
            lines.append((f"{name.capitalize()}s", f"{table.get('name')} (catId {table['catId']})"))
        return lines

    # --- records -------------------------------------------------------------------------
    @classmethod
    def event_record(cls, payload: Any) -> Any:
        """A "Call an API" body: {"event", "catId", "rowId", "row": {field: value}} → the
        row as a record (link fields give their first row id)."""
        if not isinstance(payload, dict) or not isinstance(payload.get("row"), dict):
            return payload
        record: dict[str, Any] = {"id": str(payload.get("rowId") or "")}
        for name, value in payload["row"].items():
            if isinstance(value, list):
                first = value[0] if value else ""
                value = str(first.get("row_id") if isinstance(first, dict) else first)
            record[name] = value
        return record

    def inbound_event(self, payload: dict[str, Any]) -> tuple[str, str]:
        event = str(payload.get("event") or "")[:100]
        row = str(payload.get("rowId") or "")
        stamp = str(payload.get("changedAt") or "")
        return event, (f"{event}:{row}:{stamp}" if row and stamp else "")[:150]

    def custom_field_names(self, object_type: str) -> dict[str, str]:
        """None: every field of a TimeTonic table is written by its name (record_fields)."""
        return {}

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        table = self.table(object_type)
        rows = self.read_rows(object_type, limit=1)
        if not rows:
            return None, f"The table “{table['name']}” has no rows yet; add one to preview."
        return rows[0], f"The first row of the TimeTonic table “{table['name']}” (read just now)."

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        return self.row(object_type, record_id)

    # --- catalog operations --------------------------------------------------------------
    def call(self, operation_id: str, *, body: Any = None, **params: Any) -> Any:
        op = self.catalog[operation_id]
        object_type, _, verb = op.id.partition(".")
        if object_type == "user":
            return self.rpc("getUserInfo")
        if object_type == "books":
            return {"books": self._books()}
        if object_type == "tables":
            book = self.book()
            return {"tables": self._tables(book["b_c"], book["b_o"])}
        if verb == "list":
            offset = int(params.get("offset") or 0)
            limit = int(params.get("maxRows") or 100)
            return {"rows": self.read_rows(object_type, offset=offset, limit=limit)}
        if verb == "find":
            where = {k: v for k, v in params.items() if v not in (None, "")}
            if not where:
                raise _validation(f"finding {object_type} rows needs a field and a value")
            return {"rows": self.find_rows(object_type, **where)}
        if verb == "bulk_upsert":
            rows = body.get("rows") if isinstance(body, dict) else body
            if not isinstance(rows, list):
                raise _validation("bulk upsert needs a list of rows")
            return {"ids": self.write_rows(object_type, rows)}
        row_id = str(params.get("id") or "")
        if verb in ("get", "update", "delete") and not row_id:
            raise _validation(f"“{op.name}” needs the row id")
        if verb == "get":
            record = self.row(object_type, row_id)
            if record is None:
                raise ConnectorError(f"row {row_id} not found", permanent=True, status=404)
            return record
        if verb == "delete":
            self.rpc("deleteTableRow", write=True, rowId=row_id)
            return {"deleted": row_id}
        if verb == "create":
            return self.write_row(object_type, "tmp" + uuid.uuid4().hex[:12], body or {})
        if verb == "update":
            return self.write_row(object_type, row_id, body or {})
        raise ConnectorError(f"unknown operation {operation_id!r}", permanent=True)


def _guess(object_type: str, tables: list[dict[str, Any]]) -> str:
    for table in tables:
        if str(table.get("name") or "").strip().lower() in GUESSES[object_type]:
            return str(table["id"])
    return ""
