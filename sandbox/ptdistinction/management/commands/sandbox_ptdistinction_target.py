"""Point the stand-in Zaps at a URL with a secret: what an operator types into each Zap's
"Webhooks by Zapier (POST)" action (URL, and the X-Webhook-Secret header)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from sandbox.ptdistinction.models import ZapConfig


class Command(BaseCommand):
    help = "Set where the sandbox's PT Distinction Zaps post, and their X-Webhook-Secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--secret", default="")

    def handle(self, *args, **options) -> None:
        config = ZapConfig.load()
        config.target_url = options["url"]
        config.webhook_secret = options["secret"]
        config.save(update_fields=["target_url", "webhook_secret"])
        self.stdout.write(f"PT Distinction Zaps post to {config.target_url}")
