"""The PT Distinction demo (listed in `integrations/demo_apps.py`): a connection to the
sandbox's stand-in Zapier side and "PT Distinction ↔ GHL (demo)", built from the wizard's
three templates and published like one a person made."""

from __future__ import annotations

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
from integrations.wizard.ptdistinction import TEMPLATES

KEY = "ptdistinction"
LABEL = "PT Distinction (demo)"
NAME = "PT Distinction ↔ GHL (demo)"
WEBHOOK_SECRET = "whsec_ptdistinction_demo_secret"
HOOK_PATH = "/sandbox/ptdistinction/hooks/catch/1234567/addclient/"


def hook_url(site: str) -> str:
    return site.rstrip("/") + HOOK_PATH


def connection(workspace: Workspace, site: str, *, label: str = LABEL) -> Connection:
    """The demo's connection (idempotent: the inbound URL is kept across seeds)."""
    conn = Connection.objects.filter(workspace=workspace, kind=KEY, label=label).first()
    conn = conn or Connection(workspace=workspace, kind=KEY, label=label)
    conn.auth_method = "shared_secret"
    conn.environment = Environment.SANDBOX
    conn.connector.connect_with("shared_secret", {"add_client_hook_url": hook_url(site)})
    creds = conn.credentials
    creds["add_client_hook_url"] = hook_url(site)
    creds["webhook_secret"] = WEBHOOK_SECRET  # printed by demo_info, like Your App's
    conn.credentials = creds
    conn.config = {k: v for k, v in (conn.config or {}).items() if k != "webhook_secret_unseen"}
    conn.status = ConnectionStatus.ACTIVE
    conn.save()
    return conn


def build(
    workspace: Workspace, ghl: Connection, ptd: Connection, *, user: Any = None, name: str = NAME
) -> Integration:
    """Create or refresh the integration; flows keep their ids (and history) by name."""
    flows: list[dict[str, Any]] = []
    for template in TEMPLATES.values():
        flows += template.build(ghl, ptd)
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"p{n}"
    return starter.publish_demo(workspace, name, ghl, ptd, flows, user)


def seed(workspace: Workspace, user: Any, ghl: Connection, site: str) -> str:
    ptd = connection(workspace, site)
    integration = build(workspace, ghl, ptd, user=user)
    # What the operator does in each Zap's "Webhooks by Zapier (POST)" action.
    call_command(
        "sandbox_ptdistinction_target",
        site + ptd.connector.inbound_path,
        "--secret",
        WEBHOOK_SECRET,
        verbosity=0,
    )
    return f"demo integration ready: {integration.name}"


def sandbox_info(site: str) -> dict[str, Any]:
    ptd = Connection.objects.filter(kind=KEY, label=LABEL).order_by("pk").first()
    path = ptd.connector.inbound_path if ptd else ""
    return {
        "ui": f"{site}/sandbox/ptdistinction/_ui/",
        "note": "no public API: a stand-in for your Zapier account (PT Distinction's triggers "
        "posted by Webhooks by Zapier, and a Catch Hook for Add Client)",
        "inbound_url": site + path if path else "",
        "secret_header": "X-Webhook-Secret",
        "webhook_secret": WEBHOOK_SECRET,
        "catch_hook_url": hook_url(site),
        "send_delivery": f"POST {site}/sandbox/ptdistinction/_control/send "
        '{"trigger": "client_added", "fields": {"email": "…", "first_name": "…"}}',
        "caught": f"{site}/sandbox/ptdistinction/_control/caught",
    }
