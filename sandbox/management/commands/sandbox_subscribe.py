"""Subscribe a URL to the GHL sandbox's webhooks (what an app's settings page does in GHL).

    python manage.py sandbox_subscribe http://127.0.0.1:8000/webhooks/ghl/ [--exclusive]

--exclusive removes other subscriptions to the same path (an old port of the demo).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.management.base import BaseCommand

from sandbox.models import SandboxWebhookSubscription


class Command(BaseCommand):
    help = "Subscribe a URL to every GHL sandbox webhook (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("url")
        parser.add_argument("--exclusive", action="store_true")

    def handle(self, *args: object, url: str, exclusive: bool, **options: object) -> None:
        if exclusive:
            path = urlsplit(url).path
            for sub in SandboxWebhookSubscription.objects.exclude(url=url):
                if urlsplit(sub.url).path == path:
                    sub.delete()
        _, created = SandboxWebhookSubscription.objects.get_or_create(url=url, location=None)
        self.stdout.write(f"{'subscribed' if created else 'already subscribed'}: {url}")
