"""Print, as JSON, what anyone needs to drive the demo as the real apps would.

    python manage.py demo_info

Every simulator's credentials (GHL: OAuth client, a Private Integration Token and its
location, the webhook signing keys' public halves; Your App: API key and webhook secret)
and each demo integration's inbound URLs and secrets. Demo mode only: these are secrets.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from integrations import demo, demo_apps
from integrations.models import Connection, Integration


class Command(BaseCommand):
    help = "Print the demo's credentials and inbound URLs as JSON (demo mode only)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG or "sandbox" not in settings.INSTALLED_APPS:
            raise CommandError("demo_info prints secrets: it runs only in the demo mode")
        site = settings.SITE_URL
        out = io.StringIO()
        call_command("sandbox_pit", stdout=out)
        pit = json.loads(out.getvalue())
        out = io.StringIO()
        call_command("sandbox_calendars", "--location", pit["locationId"], stdout=out)
        info: dict[str, Any] = {
            "site_url": site,
            "sandboxes": {
                "ghl": {
                    "base_url": f"{site}/sandbox/ghl",
                    "ui": f"{site}/sandbox/ghl/_ui/",
                    "oauth": {
                        "authorize_url": f"{site}/sandbox/ghl/v2/oauth/chooselocation",
                        "token_url": f"{site}/sandbox/ghl/oauth/token",
                        "client_id": settings.GHL_CLIENT_ID,
                        "client_secret": settings.GHL_CLIENT_SECRET,
                    },
                    "private_integration_token": pit["token"],
                    "location_id": pit["locationId"],
                    "calendars": json.loads(out.getvalue()),
                    "version_header": "2021-07-28",
                },
                "yourapp": {
                    "base_url": f"{site}/sandbox/yourapp/api",
                    "ui": f"{site}/sandbox/yourapp/_ui/",
                    "auth": "Authorization: Bearer <api_key>",
                    "api_key": demo.YOURAPP_API_KEY,
                    "webhook_secret": demo.YOURAPP_WEBHOOK_SECRET,
                    "signature_header": "Syncdeck-Signature: t=<unix>,v1=<hex HMAC-SHA256>",
                },
            },
            "inbound": {"ghl_webhooks": f"{site}/webhooks/ghl/", "integrations": []},
        }
        for app in demo_apps.modules():
            info["sandboxes"][app.KEY] = app.sandbox_info(site)
        for integration in Integration.objects.order_by("pk"):
            apps = Connection.objects.filter(
                Q(source_flows__integration=integration) | Q(steps__flow__integration=integration)
            ).distinct()
            entry: dict[str, Any] = {"name": integration.name, "connections": []}
            for connection in apps.order_by("pk"):
                row: dict[str, Any] = {"label": str(connection), "kind": connection.kind}
                path = getattr(connection.connector, "inbound_path", "")
                if path:
                    row["inbound_url"] = site + path
                    row["webhook_secret"] = connection.credentials.get("webhook_secret", "")
                if connection.kind == "ghl":
                    row["inbound_url"] = f"{site}/webhooks/ghl/"
                    row["location_id"] = connection.account_id
                entry["connections"].append(row)
            info["inbound"]["integrations"].append(entry)
        self.stdout.write(json.dumps(info, indent=2))
