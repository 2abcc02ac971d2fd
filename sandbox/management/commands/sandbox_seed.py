from django.core.management.base import BaseCommand

from sandbox.models import SandboxContact, SandboxLocation
from sandbox.seed import seed


class Command(BaseCommand):
    help = "Create the GHL sandbox demo data (idempotent, deterministic)."

    def handle(self, *args, **options):
        result = seed()
        verb = "Seeded" if result["created"] else "Already seeded"
        self.stdout.write(
            f"{verb}: {SandboxLocation.objects.count()} locations, "
            f"{SandboxContact.objects.count()} contacts"
        )
