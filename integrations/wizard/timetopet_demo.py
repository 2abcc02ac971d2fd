"""The Time To Pet demo (listed in `integrations/demo_apps.py`): a connection to the
sandbox's company feed and "Time To Pet → GHL (demo)" built from the wizard's templates
(visits → appointments, new client → contact, notes → notes), published like one a person
made. demo_info prints the feed URLs, the client CSV and the inbound URL with its secret."""

from __future__ import annotations

import io
import json
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
from integrations.wizard import timetopet as templates

KEY = "timetopet"
LABEL = "Time To Pet (demo)"
NAME = "Time To Pet → GHL (demo)"
WEBHOOK_SECRET = "whsec_timetopet_demo_secret"


def sandbox_paths(fresh: bool = False, ghl_location: str = "") -> dict[str, Any]:
    out = io.StringIO()
    args = ["--fresh"] if fresh else []
    if ghl_location:
        args += ["--ghl-location", ghl_location]
    call_command("sandbox_timetopet_seed", *args, stdout=out)
    return json.loads(out.getvalue())


def connection(workspace: Workspace, site: str, paths: dict[str, Any]) -> Connection:
    """The demo's connection (idempotent: the inbound URL and secret are kept)."""
    conn = Connection.objects.filter(workspace=workspace, kind=KEY, label=LABEL).first()
    conn = conn or Connection(workspace=workspace, kind=KEY, label=LABEL)
    conn.auth_method = "feed"
    conn.environment = Environment.SANDBOX
    conn.connector.configure(  # type: ignore[attr-defined]
        {
            "feed_url": site + paths["feed"],
            "staff_feeds": "",
            "interval": 5,
            "timezone": "America/New_York",
        }
    )
    creds = conn.credentials
    creds["webhook_secret"] = WEBHOOK_SECRET  # printed by demo_info
    conn.credentials = creds
    conn.account_name = paths.get("name") or conn.account_name
    conn.status = ConnectionStatus.ACTIVE
    conn.save()
    return conn


def build(
    workspace: Workspace,
    ghl: Connection,
    ttp: Connection,
    *,
    calendar_id: str,
    user: Any = None,
    name: str = NAME,
) -> Integration:
    """Create or refresh the integration; flows keep their ids (and history) by name."""
    flows = templates.visits_to_appointments(ghl, ttp, calendar_id=calendar_id)
    flows += templates.clients_to_contacts(ghl, ttp)
    flows += templates.notes_to_ghl(ghl, ttp)
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"t{n}"
    return starter.publish_demo(workspace, name, ghl, ttp, flows, user)


def seed(workspace: Workspace, user: Any, ghl: Connection, site: str) -> str:
    # The business imported its clients into GHL once: its visits find their contacts.
    ttp = connection(workspace, site, sandbox_paths(ghl_location=ghl.account_id))
    integration = build(workspace, ghl, ttp, calendar_id=starter.ghl_calendar(ghl), user=user)
    return f"demo integration ready: {integration.name}"


def sandbox_info(site: str) -> dict[str, Any]:
    paths = sandbox_paths()
    ttp = Connection.objects.filter(kind=KEY, label=LABEL).order_by("pk").first()
    inbound = ttp.connector.inbound_path if ttp else ""
    return {
        "ui": f"{site}/sandbox/timetopet/_ui/",
        "note": "no public API: read-only calendar feeds (company and per staff), a client "
        "CSV export, and an inbound URL for whatever the business posts",
        "company_feed": site + paths["feed"],
        "staff_feeds": {name: site + path for name, path in paths["staff_feeds"].items()},
        "clients_csv": site + paths["clients_csv"],
        "clients_csv_1000_rows": site + paths["clients_csv"] + "?rows=1000",
        "inbound_url": site + inbound if inbound else "",
        "secret_header": "X-Webhook-Secret",
        "webhook_secret": WEBHOOK_SECRET,
        "change_visits": f"POST {site}/sandbox/timetopet/_control/advance",
    }
