"""What every connector is made of: one error type, operations as data, a small base class.

A connector declares what differs as class attributes (kind, label, auth methods, scopes,
its operation catalog) and overrides a few hooks; the base hooks raise NotImplementedError
with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from integrations.connectors.http import CallRecord
    from integrations.models import Connection


class ErrorKind(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    VALIDATION = "validation"


class ConnectorError(Exception):
    """Any failure talking to an outside app.

    `permanent` says whether trying again can help; `kind` sorts it further for the UI and
    for retries; `retry_after` (seconds) comes from Retry-After or rate-limit headers.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        kind: ErrorKind | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        record: CallRecord | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.kind = kind or (ErrorKind.PERMANENT if permanent else ErrorKind.TRANSIENT)
        self.status = status
        self.retry_after = retry_after
        self.record = record

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path | query | body
    required: bool = False
    type: str = "string"
    description: str = ""
    choices: tuple[str, ...] = ()  # the spec's enum, offered as choices
    items: str = ""  # for arrays: the items' type


@dataclass(frozen=True)
class Operation:
    """One entry of a connector's operation catalog."""

    id: str
    name: str
    category: str
    role: str  # trigger | action
    method: str
    path: str
    scope: str | None = None
    version: str | None = None
    description: str = ""
    params: tuple[Param, ...] = ()
    body_required: tuple[str, ...] = ()
    envelope: str | None = None  # key of the response that holds the record(s)
    pagination: str | None = None  # searchAfter | startAfterId | skip | None
    deprecated: bool = False
    # From the vendored spec (GHL): every scope it declares, the token kind it needs
    # ("location" | "agency"), the API versions that have it, its body fields.
    scopes: tuple[str, ...] = ()
    token: str | None = None
    versions: tuple[str, ...] = ()
    v3_path: str | None = None
    v3_params: tuple[Param, ...] = ()  # v3's parameters, where they differ from v2's
    body_fields: tuple[Param, ...] = ()
    seeded: bool = False
    note: str = ""

    @property
    def path_params(self) -> list[str]:
        return [p.name for p in self.params if p.location == "path"]

    @property
    def writes(self) -> bool:
        return self.role == "action"


@dataclass
class Catalog:
    operations: dict[str, Operation] = field(default_factory=dict)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.operations.values())

    def __len__(self) -> int:
        return len(self.operations)

    def __getitem__(self, op_id: str) -> Operation:
        try:
            return self.operations[op_id]
        except KeyError:
            raise ConnectorError(f"unknown operation {op_id!r}", permanent=True) from None

    def categories(self) -> dict[str, list[Operation]]:
        grouped: dict[str, list[Operation]] = {}
        for op in self.operations.values():
            grouped.setdefault(op.category, []).append(op)
        return grouped


@dataclass(frozen=True)
class ObjectType:
    """An object type a connector carries, and the parent it belongs to, if any.

    `parent_field` is the record field that holds the parent's id in this app (GHL's task
    `contactId`, Your App's `contact_id`): the engine translates it through the parent's
    record link, so a child is never written under the other app's id.
    """

    name: str
    parent: str | None = None
    parent_field: str = ""
    id_field: str = "id"
    label_field: str = ""


@dataclass(frozen=True)
class Scope:
    name: str
    explanation: str
    default: bool = False


@dataclass
class CheckResult:
    ok: bool
    message: str


@dataclass(frozen=True)
class CsvObject:
    """Records an app exchanges as CSV files (its own export and import screens).

    Rows become HighLevel `target` records (contacts only, for now) through a column →
    field mapping; `columns` suggests it for the app's own export headers (matched without
    case): header → HighLevel field, or "note" (the value goes into a note on the contact).
    `export_columns` are the (HighLevel field path, header) pairs offered by default when
    exporting contacts for the app's import screen.
    """

    name: str
    label: str
    target: str = "contact"
    columns: tuple[tuple[str, str], ...] = ()
    id_column: str = ""
    export_columns: tuple[tuple[str, str], ...] = ()
    help: str = ""


@dataclass(frozen=True)
class FormField:
    """One input of a connect or settings form, declared by the connector.

    `kind`: text | password | url | email | int | choice | textarea | checkbox. A `secret`
    field is never shown back (a reconnect leaves it blank to keep the stored value).
    `choices` are (value, label) pairs; a settings form may compute them by calling the app.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    initial: str = ""
    secret: bool = False


class Connector:
    # Templates receive connector classes; they must not try to call them.
    do_not_call_in_templates: ClassVar[bool] = True
    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    auth_methods: ClassVar[tuple[str, ...]] = ()
    scopes: ClassVar[tuple[Scope, ...]] = ()
    catalog: ClassVar[Catalog] = Catalog()
    # Inbound event types its webhooks carry (offered as webhook triggers).
    event_types: ClassVar[tuple[str, ...]] = ()
    # Known writable fields per object type (the wizard's mapping targets).
    record_fields: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Target fields the app requires without its catalog saying so: field → why.
    required_hints: ClassVar[dict[str, str]] = {}
    # The catalog operation that lists records (samples, polls, backfills), if fixed.
    list_operation: ClassVar[str] = ""
    # The object types it carries, by name, with their parents (a task's contact).
    object_types: ClassVar[dict[str, ObjectType]] = {}
    # Ways to connect with a plain form (auth method → its fields), beside OAuth and PITs:
    # the dashboard renders them and calls `connect_with`.
    connect_forms: ClassVar[dict[str, tuple[FormField, ...]]] = {}
    # A page of its own for a connection (dashboard URL name taking the connection's code,
    # button label), linked from its card: Your App's paths and webhooks, the Zap setup.
    own_page: ClassVar[tuple[str, str] | tuple[()]] = ()
    # Connected inside the wizard's first step (Your App's form) rather than on a page.
    connects_in_wizard: ClassVar[bool] = False
    # Whether it has a settings form to fill after connecting (`settings_fields`).
    has_settings: ClassVar[bool] = False
    # One honest sentence on what the app does not offer (shown on its card and in the
    # wizard), e.g. "no public API: a read-only calendar feed".
    notice: ClassVar[str] = ""
    # What the account is called in this app (GHL: "Location"; TIMIFY: "Company").
    account_noun: ClassVar[str] = "Account"
    # How its inbound webhook URL (/webhooks/in/<token>/) authenticates deliveries:
    # "" (no inbound URL) | "signature" (Syncdeck-Signature HMAC) | "header_secret"
    # (X-Webhook-Secret) | "bearer" (Authorization: Bearer <secret>).
    inbound_auth: ClassVar[str] = ""
    # What it exchanges as CSV files (upload to import, download to export), by name; the
    # connection card links to the CSV pages when this is not empty.
    csv_objects: ClassVar[dict[str, CsvObject]] = {}
    # The longest polling interval its flows may ask for (minutes); the shortest is 1.
    max_poll_minutes: ClassVar[int] = 15

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @classmethod
    def default_scopes(cls) -> list[str]:
        return [scope.name for scope in cls.scopes if scope.default]

    @classmethod
    def scope_names(cls) -> set[str]:
        return {scope.name for scope in cls.scopes}

    @classmethod
    def connect_choices(cls) -> list[tuple[str, str]]:
        """(auth method, label) of each connect form, for buttons and links."""
        from integrations.models import AuthMethod

        labels = dict(AuthMethod.choices)
        return [(method, labels.get(method, method)) for method in cls.connect_forms]

    # --- hooks ------------------------------------------------------------------
    @classmethod
    def can_poll(cls) -> bool:
        """Can this app list its records (polling, scheduled syncs, backfills)?"""
        return cls.poll is not Connector.poll

    @classmethod
    def event_record(cls, payload: Any) -> Any:
        """The record an inbound event is about (GHL sends the record itself)."""
        return payload

    def custom_field_names(self, object_type: str) -> dict[str, str]:
        """Custom field id → readable name, where the app has custom fields."""
        return {}

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        """One real record of this type and a sentence saying where it came from."""
        raise NotImplementedError(f"{self.label} cannot read sample records")

    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[dict[str, Any]], str]:
        """Records changed since `cursor` (oldest first) and the cursor to store next.

        `trigger_config["max_records"]`, when given, caps how many (a preview); otherwise
        every record is read.
        """
        raise NotImplementedError(f"{self.label} has no polling trigger")

    def poll_pages(
        self, trigger_config: dict[str, Any], cursor: str
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """The same records page by page, each page with the cursor after it: backfills and
        full syncs queue each page as it comes. By default, one page from `poll`."""
        yield self.poll(trigger_config, cursor)

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        """One record as the app has it now, None when it is gone (a child may need its
        parent's id)."""
        raise NotImplementedError(f"{self.label} cannot read one {object_type} record")

    # --- connecting with a form, settings, the card ------------------------------------
    def connect_with(self, auth_method: str, values: dict[str, Any]) -> None:
        """Fill the (unsaved) connection from a connect form: credentials, config, account
        id and name. May call the app (a login, a token); raises ConnectorError with a
        sentence for the person on a bad value. Blank secret fields keep stored values."""
        raise NotImplementedError(f"{self.label} does not connect with a form")

    def settings_fields(self) -> tuple[FormField, ...]:
        """What to choose after connecting (a TimeTonic book and tables); may call the app."""
        return ()

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Store the settings form's values on the (unsaved) connection."""

    def facts(self) -> list[tuple[str, str]]:
        """Extra (label, value) lines for the connection's card; nothing secret."""
        return []

    def rate_budget(self) -> tuple[int, float] | None:
        """(requests, per seconds) this connection's calls share (the budget http.request
        is given); None when the app publishes none. Sizes bulk retries and paces checks."""
        return None

    # --- inbound webhooks (the generic URL /webhooks/in/<token>/) ----------------------
    @property
    def inbound_path(self) -> str:
        """The path of this connection's inbound webhook URL (put the site URL in front)."""
        from django.urls import reverse

        token = self.connection.inbound_token or ""
        return reverse("webhooks:rest", args=[token]) if token and self.inbound_auth else ""

    def verify_inbound(self, headers: Any, raw: bytes, now: float) -> Any:
        """Check a delivery to the inbound URL; returns a `rest.signing.Verdict`."""
        from integrations.connectors import inbound

        secret = str(self.connection.credentials.get("webhook_secret") or "")
        return inbound.verify(self.inbound_auth, secret, headers, raw, now)

    def inbound_event(self, payload: dict[str, Any]) -> tuple[str, str]:
        """(event type, event id) of an inbound delivery; "" where the app sends none."""
        return str(payload.get("type") or "")[:100], str(payload.get("id") or "")[:150]

    def authorization_url(self, state: str, scopes: list[str]) -> str:
        raise NotImplementedError(f"{self.label} does not connect through OAuth")

    def complete_authorization(self, code: str) -> None:
        raise NotImplementedError(f"{self.label} does not connect through OAuth")

    def refresh(self, *, force: bool = False) -> None:
        raise NotImplementedError(f"{self.label} has no credentials to refresh")

    def test(self) -> CheckResult:
        raise NotImplementedError(f"{self.label} does not define a connection test")

    def call(self, operation_id: str, **params: Any) -> Any:
        raise NotImplementedError(f"{self.label} does not execute catalog operations")
