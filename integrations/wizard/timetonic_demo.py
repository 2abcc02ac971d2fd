"""The TimeTonic demo (listed in `integrations/demo_apps.py`): a connection to the
simulator's demo user (its book and tables chosen), "GHL ↔ TimeTonic (demo)" built from
the wizard's templates, and the simulator's "Call an API" automations pointed at the
connection's inbound URL with its bearer secret."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

from django.core.management import call_command

from integrations.models import (
    Connection,
    ConnectionStatus,
    Environment,
    Integration,
    Workspace,
)
from integrations.wizard import starter
from integrations.wizard.timetonic import TEMPLATES

KEY = "timetonic"
LABEL = "TimeTonic sandbox (demo)"
NAME = "GHL ↔ TimeTonic (demo)"
WEBHOOK_SECRET = "tt_timetonic_demo_bearer_secret"
DEMO_TEMPLATES = ("tt_contacts_two_way", "tt_tasks_two_way", "tt_notes_two_way", "tt_appointments")
# Table → the event prefix its automation posts ("contact.created", …).
AUTOMATIONS = {"Contacts": "contact", "Tasks": "task", "Notes": "note"}


def base_url(site: str) -> str:
    return site.rstrip("/") + "/sandbox/timetonic"


def simulator_info() -> dict[str, Any]:
    out = StringIO()
    call_command("sandbox_timetonic", "info", stdout=out)
    return json.loads(out.getvalue())


def connection(workspace: Workspace, site: str, *, label: str = LABEL) -> Connection:
    """The demo's connection (idempotent: its inbound URL and secret are kept)."""
    info = simulator_info()
    conn = Connection.objects.filter(workspace=workspace, kind=KEY, label=label).first()
    conn = conn or Connection(workspace=workspace, kind=KEY, label=label)
    conn.environment = Environment.SANDBOX
    connector = conn.connector
    connector.connect_with(
        "session_key", {"o_u": info["o_u"], "sesskey": info["sesskey"], "base_url": base_url(site)}
    )
    conn.credentials = {**conn.credentials, "webhook_secret": WEBHOOK_SECRET}
    tables = info["tables"]
    chosen = {
        "contact": tables["Contacts"],
        "task": tables["Tasks"],
        "note": tables["Notes"],
        "appointment": tables["Appointments"],
    }
    connector.use_tables(info["b_c"], info["b_o"], info["categories"], chosen)
    conn.status = ConnectionStatus.ACTIVE
    conn.save()
    return conn


def build(
    workspace: Workspace, ghl: Connection, tt: Connection, *, user: Any = None, name: str = NAME
) -> Integration:
    """Create or refresh the integration; flows keep their ids (and history) by name."""
    flows: list[dict[str, Any]] = []
    for template_id in DEMO_TEMPLATES:
        flows += TEMPLATES[template_id].build(ghl, tt)
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"t{n}"
    return starter.publish_demo(workspace, name, ghl, tt, flows, user)


def point_automations(site: str, tt: Connection) -> None:
    """What the operator does in TimeTonic: a "Call an API" automation per table, posting
    to the connection's inbound URL with the bearer secret."""
    url = site.rstrip("/") + tt.connector.inbound_path
    for table, prefix in AUTOMATIONS.items():
        call_command(
            "sandbox_timetonic",
            "automation",
            table,
            url,
            "--token",
            WEBHOOK_SECRET,
            "--prefix",
            prefix,
            "--exclusive",
            stdout=StringIO(),
        )


def seed(workspace: Workspace, user: Any, ghl: Connection, site: str) -> str:
    tt = connection(workspace, site)
    integration = build(workspace, ghl, tt, user=user)
    point_automations(site, tt)
    return f"demo integration ready: {integration.name}"


def sandbox_info(site: str) -> dict[str, Any]:
    info = simulator_info()
    tt = Connection.objects.filter(kind=KEY, label=LABEL).order_by("pk").first()
    path = tt.connector.inbound_path if tt else ""
    return {
        "base_url": base_url(site),
        "api": f"POST {base_url(site)}/live/api.php (req=<function>, o_u, u_c, sesskey)",
        "ui": f"{base_url(site)}/_ui/",
        "o_u": info["o_u"],
        "u_c": info["u_c"],
        "sesskey": info["sesskey"],
        "login": info["login"],
        "password": info["password"],
        "appkey": info["appkey"],
        "b_c": info["b_c"],
        "b_o": info["b_o"],
        "tables": info["tables"],
        "inbound_url": site + path if path else "",
        "inbound_auth": "Authorization: Bearer <webhook_secret>",
        "webhook_secret": WEBHOOK_SECRET,
    }
