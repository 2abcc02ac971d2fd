"""Subscribe a URL to Your App (demo)'s outbound events (what its settings page does).

    python manage.py sandbox_yourapp_subscribe http://127.0.0.1:8000/webhooks/in/<token>/

--exclusive removes other subscribers with the same path prefix (an old port of the demo).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.management.base import BaseCommand

from sandbox.models import SandboxYourAppConfig


class Command(BaseCommand):
    help = "Subscribe a URL to every Your App (demo) event (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("url")
        parser.add_argument("--exclusive", action="store_true")

    def handle(self, *args: object, url: str, exclusive: bool, **options: object) -> None:
        config = SandboxYourAppConfig.load()
        subscribers = list(config.subscribers or [])
        if exclusive:
            prefix = urlsplit(url).path.rstrip("/").rsplit("/", 1)[0]
            subscribers = [u for u in subscribers if not urlsplit(u).path.startswith(prefix)]
        created = url not in subscribers
        if created:
            subscribers.append(url)
        config.subscribers = subscribers
        config.save(update_fields=["subscribers"])
        self.stdout.write(f"{'subscribed' if created else 'already subscribed'}: {url}")
