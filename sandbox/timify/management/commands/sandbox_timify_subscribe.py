"""Point the TIMIFY sandbox's webhooks at a URL with a shared secret (what an operator sets
up in TIMIFY's webhook settings: the Server URL and a custom X-Webhook-Secret header).

    python manage.py sandbox_timify_subscribe http://127.0.0.1:8000/webhooks/in/<token>/ --secret …
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sandbox.timify import services
from sandbox.timify.models import TimifyConfig


class Command(BaseCommand):
    help = "Send the TIMIFY sandbox's webhooks to a URL with an X-Webhook-Secret (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("url")
        parser.add_argument("--secret", required=True)

    def handle(self, *args: object, url: str, secret: str, **options: object) -> None:
        services.ensure_seeded()
        config = TimifyConfig.load()
        config.webhook_url, config.webhook_secret = url, secret
        config.save(update_fields=["webhook_url", "webhook_secret"])
        self.stdout.write(f"TIMIFY webhooks → {url}")
