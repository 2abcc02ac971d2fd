"""The TIMIFY demo (listed in `integrations/demo_apps.py`): a connection to the TIMIFY
sandbox and "GHL ↔ TIMIFY (demo)", built from the wizard's TIMIFY templates and published
like one a person made; the sandbox's webhooks point at the connection's inbound URL."""

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
from integrations.wizard import timify as templates

KEY = "timify"
LABEL = "TIMIFY (demo)"
NAME = "GHL ↔ TIMIFY (demo)"
# The sandbox's demo app (sandbox/timify/models.py defaults), as TIMIFY would show them.
APP_ID = "timify-demo-app"
APP_SECRET = "timify-demo-secret"
COMPANY_ID = "5f1c2a3b4c5d6e7f80910a1b"
RESOURCE_ID = "res_anna"
WEBHOOK_SECRET = "whsec_timify_demo_secret"


def base_url(site: str) -> str:
    return site.rstrip("/") + "/sandbox/timify"


def connection(workspace: Workspace, site: str, *, label: str = LABEL) -> Connection:
    """The demo's connection (idempotent; its token is minted on the first call)."""
    conn = Connection.objects.filter(workspace=workspace, kind=KEY, label=label).first()
    conn = conn or Connection(workspace=workspace, kind=KEY, label=label)
    conn.environment = Environment.SANDBOX
    conn.connector.configure(
        {
            "app_id": APP_ID,
            "app_secret": APP_SECRET,
            "company_id": COMPANY_ID,
            "server": "custom",
            "base_url": base_url(site),
            "resource_id": RESOURCE_ID,
            "webhook_secret": WEBHOOK_SECRET,
        }
    )
    conn.account_name = "TIMIFY demo company"
    conn.status = ConnectionStatus.ACTIVE
    conn.save()
    return conn


def flows_for(ghl: Connection, app: Connection, calendar_id: str) -> list[dict[str, Any]]:
    flows = templates.customers(ghl, app)
    flows += templates.appointments(ghl, app, calendar_id=calendar_id, follow_up=True)
    flows += templates.notes_and_tags(ghl, app)
    for n, flow in enumerate(flows, 1):
        flow["key"] = f"t{n}"
    return flows


def build(
    workspace: Workspace,
    ghl: Connection,
    app: Connection,
    *,
    calendar_id: str,
    user: Any = None,
    name: str = NAME,
) -> Integration:
    """Create or refresh the integration; flows keep their ids (and history) by name."""
    flows = flows_for(ghl, app, calendar_id)
    return starter.publish_demo(workspace, name, ghl, app, flows, user)


def seed(workspace: Workspace, user: Any, ghl: Connection, site: str) -> str:
    app = connection(workspace, site)
    integration = build(workspace, ghl, app, calendar_id=starter.ghl_calendar(ghl), user=user)
    # What the operator sets up in TIMIFY: webhooks to our inbound URL with the secret.
    call_command(
        "sandbox_timify_subscribe",
        site + app.connector.inbound_path,
        "--secret",
        WEBHOOK_SECRET,
        verbosity=0,
    )
    return f"demo integration ready: {integration.name}"


def sandbox_info(site: str) -> dict[str, Any]:
    app = Connection.objects.filter(kind=KEY, label=LABEL).order_by("pk").first()
    path = app.connector.inbound_path if app else ""
    return {
        "base_url": base_url(site),
        "ui": base_url(site) + "/_ui/",
        "token": f"POST {base_url(site)}/v1/auth/token "
        '{"appid": "…", "appsecret": "…"} → {"accessToken"}',
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "company_id": COMPANY_ID,
        "headers": "Authorization: Bearer <accessToken>, company-id: <company_id>",
        "inbound_url": site + path if path else "",
        "secret_header": "X-Webhook-Secret",
        "webhook_secret": WEBHOOK_SECRET,
        "expire_tokens": f"POST {base_url(site)}/_control/expire-tokens",
    }
