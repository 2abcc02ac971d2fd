"""PT Distinction, through the operator's own Zapier account (it has no public API).

Inbound: deliveries of the Zaps "PT Distinction: Client Added / Client Added to Group /
Pre-Made Package Sign Up → Webhooks by Zapier (POST)" arrive at the generic inbound URL
(`/webhooks/in/<token>/`) with the connection's secret in `X-Webhook-Secret`; the receiver
stores, verifies and dispatches them, and this class says which trigger sent one and which
client it is about (`zapier.py` holds the field contract).

Outbound: the one action PT Distinction's Zapier app has, "Add Client", is a POST of our
fields to the operator's "Catch Hook" URL (a Zap "Catch Hook → PT Distinction Add Client").
That URL is a capability (anyone holding it can add clients), so it is kept encrypted with
the credentials, redacted from run steps, and sent through the SSRF guard.

Nothing else exists to call: no reading of clients, no updates, no deletions, no tasks,
notes or appointments. Never invent a REST path for PT Distinction (FACTS.md §4).
"""

from __future__ import annotations

import secrets as secrets_module
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
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
from integrations.connectors.ptdistinction import zapier

ADD_CLIENT = "client.add"
HOOK_KEY = "add_client_hook_url"
UNSEEN = "webhook_secret_unseen"  # the same flag as Your App's (rest/manage.py)
ZAPIER_HOST = "hooks.zapier.com"
_BOOLEANS = ("send_login_details", "two_way_messaging")


def _add_client(path: str = "/") -> Operation:
    return Operation(
        id=ADD_CLIENT,
        name="Add Client (through your Zapier Catch Hook)",
        category="Clients",
        role="action",
        method="POST",
        path=path or "/",
        description=(
            "POST the client's fields as JSON to your Zap's Catch Hook; the Zap runs PT "
            "Distinction's “Add Client”, which does nothing for an email it already has"
        ),
        body_required=("email", "first_name"),
    )


def _catalog(path: str = "/") -> Catalog:
    op = _add_client(path)
    return Catalog(operations={op.id: op})


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectorError(
            "the Catch Hook URL must be an http(s) URL such as "
            "https://hooks.zapier.com/hooks/catch/123/abc/",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )


class PTDistinctionConnector(Connector):
    kind = "ptdistinction"
    label = "PT Distinction (via Zapier)"
    description = (
        "PT Distinction has no public API; it has a Zapier app. Your Zaps post its three "
        "triggers (Client Added, Client Added to Group, Pre-Made Package Sign Up) to a "
        "private Syncdeck URL, and Syncdeck sends “Add Client” to a Zapier Catch Hook of "
        "yours. Contacts only."
    )
    notice = (
        "No public API: contacts only, through your own Zapier account — clients added to "
        "PT Distinction (or to a group or package) reach HighLevel, and HighLevel contacts "
        "can be added to PT Distinction; no tasks, notes or appointments, and no updates "
        "or deletions in PT Distinction."
    )
    auth_methods = ("shared_secret",)
    account_noun = "Zapier bridge"
    inbound_auth = "header_secret"
    own_page = ("dashboard:connection_zapier", "Zap instructions")
    catalog = _catalog()
    event_types = zapier.EVENT_TYPES
    object_types: ClassVar[dict[str, ObjectType]] = {
        "contact": ObjectType("contact", id_field="email", label_field="email")
    }
    record_fields = {"contact": zapier.ADD_CLIENT_NAMES}
    required_hints = {
        "email": "PT Distinction's Add Client requires Email (it knows clients by email)",
        "first_name": "PT Distinction's Add Client requires First Name",
        "gender": "PT Distinction's Add Client requires Gender: map it here, or give it a "
        "fixed value in your Zap's Add Client step",
        "send_login_details": "PT Distinction's Add Client requires Send Login Details "
        "(yes: it emails the client their login)",
    }
    connect_forms: ClassVar[dict[str, tuple[FormField, ...]]] = {
        "shared_secret": (
            FormField(
                HOOK_KEY,
                "Zapier Catch Hook URL for “Add Client” (optional)",
                kind="url",
                required=False,
                secret=True,
                help=(
                    "In Zapier, make a Zap “Webhooks by Zapier: Catch Hook → PT Distinction: "
                    "Add Client” and paste its hook URL here. Leave it empty to only receive "
                    "clients. Syncdeck makes the secret for the inbound URL itself."
                ),
            ),
        )
    }
    # CSV both ways (integrations/csvio), contacts only. PT Distinction's own file layout is
    # not public: the headers below are the usual spellings of its client fields (matched
    # without case), and anything else is mapped by hand on the import screen.
    csv_objects: ClassVar[dict[str, CsvObject]] = {
        "client": CsvObject(
            name="client",
            label="Clients (contacts only)",
            target="contact",
            columns=(
                ("email", "email"),
                ("email address", "email"),
                ("first name", "firstName"),
                ("first_name", "firstName"),
                ("last name", "lastName"),
                ("last_name", "lastName"),
                ("phone", "phone"),
                ("mobile", "phone"),
                ("time zone", "timezone"),
                ("time_zone", "timezone"),
                ("gender", "note"),
                ("group", "note"),
                ("package", "note"),
            ),
            id_column="email",
            export_columns=(
                ("email", "Email"),
                ("firstName", "First Name"),
                ("lastName", "Last Name"),
                ("phone", "Phone"),
            ),
            help=(
                "Contacts only: a client list becomes HighLevel contacts (matched by email), "
                "and HighLevel contacts export with PT Distinction's Add Client field names "
                "(Email, First Name, Last Name). No workouts, check-ins or payments."
            ),
        )
    }

    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        url = self.hook_url
        self.catalog = _catalog(urlsplit(url).path if url else "/")  # type: ignore[misc]

    # --- the delivery's shape (our documented contract, see zapier.py) -------------------
    @classmethod
    def event_record(cls, payload: Any) -> Any:
        return zapier.record_of(payload) if isinstance(payload, dict) else payload

    def inbound_event(self, payload: dict[str, Any]) -> tuple[str, str]:
        delivery = zapier.flat(payload).get("delivery_id")
        delivery_id = str(delivery).strip()[:150] if isinstance(delivery, str | int) else ""
        return zapier.event_of(payload), delivery_id

    # --- connecting ------------------------------------------------------------------
    @property
    def hook_url(self) -> str:
        if not self.connection.credentials_encrypted:
            return ""
        return str(self.connection.credentials.get(HOOK_KEY) or "")

    @sensitive_variables()
    def connect_with(self, auth_method: str, values: dict[str, Any]) -> None:
        if auth_method != "shared_secret":
            raise ConnectorError(f"{self.label} connects with a shared secret only", permanent=True)
        conn = self.connection
        old = conn.credentials if conn.credentials_encrypted else {}
        url = str(values.get(HOOK_KEY) or "").strip() or str(old.get(HOOK_KEY) or "")
        if url:
            _check_url(url)
            http.check_target(url)  # a private address is refused now, not at the first call
        creds = {"webhook_secret": old.get("webhook_secret") or _new_secret()}
        if url:
            creds[HOOK_KEY] = url
        config = dict(conn.config or {})
        if creds["webhook_secret"] != old.get("webhook_secret"):
            config[UNSEEN] = True  # shown once on the Zapier setup page
        conn.credentials = creds
        conn.config = config
        if not conn.inbound_token:
            conn.set_inbound_token(secrets_module.token_urlsafe(24))
        conn.account_id = conn.account_id or "zap-" + secrets_module.token_hex(4)
        conn.account_name = conn.account_name or "PT Distinction (Zapier)"
        self.catalog = _catalog(urlsplit(url).path if url else "/")  # type: ignore[misc]

    def test(self) -> CheckResult:
        """Checks what can be checked without side effects: a call to the Catch Hook would
        run the Zap and add a client in PT Distinction, so a test never makes one."""
        creds = self.connection.credentials if self.connection.credentials_encrypted else {}
        if not creds.get("webhook_secret"):
            return CheckResult(
                False, "This connection has no inbound secret; reconnect it to make one."
            )
        url = str(creds.get(HOOK_KEY) or "")
        if not url:
            return CheckResult(
                True, "Ready to receive your Zaps' deliveries (no Catch Hook for Add Client)."
            )
        try:
            _check_url(url)
            http.check_target(url)
        except ConnectorError as exc:
            return CheckResult(False, f"The Catch Hook URL cannot be used: {exc.message}")
        return CheckResult(
            True,
            f"Ready: deliveries are accepted, and Add Client goes to {urlsplit(url).hostname} "
            "(not called by a test: each call adds a client in PT Distinction).",
        )

    # --- the card --------------------------------------------------------------------
    def facts(self) -> list[tuple[str, str]]:
        path = self.inbound_path
        lines: list[tuple[str, str]] = []
        if path:
            lines.append(("Inbound URL", format_html("<code>{}</code>", settings.SITE_URL + path)))
            lines.append(
                (
                    "Paste it in",
                    "Zapier: each Zap's “Webhooks by Zapier → POST” action (URL), with the "
                    "header X-Webhook-Secret",
                )
            )
        url = self.hook_url
        host = urlsplit(url).hostname if url else ""
        lines.append(("Add Client goes to", f"{host}/… (Catch Hook)" if host else "not set"))
        if self.connection.pk:
            try:  # the dashboard's page (absent when only the sandbox runs)
                link = reverse("dashboard:connection_zapier", args=[self.connection.code])
            except NoReverseMatch:
                return lines
            html = format_html('<a href="{}">copy-paste instructions</a>', link)
            lines.append(("Zap setup", html))
        return lines

    # --- reading: nothing to read, but the last delivery is a fair sample ---------------
    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        from integrations import safejson
        from integrations.models import WebhookEvent, WebhookStatus

        events = WebhookEvent.objects.filter(
            connection=self.connection,
            status__in=[WebhookStatus.RECEIVED, WebhookStatus.PROCESSED],
        ).order_by("-pk")[:20]
        for event in events:
            try:
                body = safejson.loads(event.raw_body)
            except ValueError:
                continue
            if isinstance(body, dict):
                return self.event_record(body), (
                    f"The last delivery from your Zap ({event.event_type}, "
                    f"{event.received_at:%Y-%m-%d %H:%M} UTC)."
                )
        return None, (
            "PT Distinction cannot be read (no API). Turn on one of your Zaps, or press "
            "“Test step” on its Webhooks by Zapier action, to get a sample delivery."
        )

    # --- calling ---------------------------------------------------------------------
    @sensitive_variables()
    def call(self, operation_id: str, *, body: Any = None, **params: Any) -> Any:
        """Add Client: POST our fields to the Catch Hook. Returns the client's id (its
        email: PT Distinction knows clients by email) and Zapier's request id.

        Called for a client it has already (the engine names it: `email=`, an update), it
        sends nothing: Add Client does nothing for a known email and nothing else can
        change a client, so a call would only spend a Zapier task."""
        self.catalog[operation_id]  # unknown operations fail clearly
        known = str(params.get("email") or "").strip().lower()
        if known:
            return {"id": known, "email": known, "request_id": "", "sent": False}
        url = self.hook_url
        if not url:
            raise ConnectorError(
                "no Zapier Catch Hook URL for Add Client is set on this connection; reconnect "
                "it with one",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        fields = _fields(dict(body or {}))
        path = urlsplit(url).path
        response = http.request(
            "POST",
            url,
            headers={"Accept": "application/json"},
            json_body=fields,
            secrets=[path] if len(path) > 1 else [url],
            guard=True,
        )
        answer = response.json()
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise ConnectorError(
                f"the Catch Hook answered {response.status} without status “success”",
                permanent=True,
                status=response.status,
                record=response.record,
            )
        return {
            "id": fields["email"],
            "email": fields["email"],
            "request_id": str(answer.get("request_id") or answer.get("id") or ""),
            "sent": True,
        }


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """The Add Client fields to send: email lower-cased, yes/no for the booleans."""
    if "password" in body:
        raise ConnectorError(
            "Syncdeck never sends passwords: remove the password field from the mapping "
            "(PT Distinction makes one, and Send Login Details emails it to the client)",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )
    email = str(body.get("email") or "").strip().lower()
    missing = [name for name in ("email", "first_name") if not str(body.get(name) or "").strip()]
    if missing:
        raise ConnectorError(
            f"PT Distinction's Add Client requires {' and '.join(missing)}",
            permanent=True,
            kind=ErrorKind.VALIDATION,
        )
    fields = {k: v for k, v in body.items() if v is not None}
    fields["email"] = email
    for name in _BOOLEANS:
        if isinstance(fields.get(name), bool):
            fields[name] = "yes" if fields[name] else "no"
    return fields


def _new_secret() -> str:
    return "whsec_" + secrets_module.token_urlsafe(32)
