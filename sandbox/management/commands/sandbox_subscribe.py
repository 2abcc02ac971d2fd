"""Subscribe a URL to the GHL sandbox's webhooks (what an app's settings page does in GHL).

python manage.py sandbox_subscribe http://127.0.0.1:8000/webhooks/ghl/
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sandbox.models import SandboxWebhookSubscription


class Command(BaseCommand):
    help = "Subscribe a URL to every GHL sandbox webhook (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("url")

    def handle(self, *args: object, url: str, **options: object) -> None:
        _, created = SandboxWebhookSubscription.objects.get_or_create(url=url, location=None)
        self.stdout.write(f"{'subscribed' if created else 'already subscribed'}: {url}")
