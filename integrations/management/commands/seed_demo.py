from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from integrations.models import Membership, Role, Workspace

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = "Seed the demo: the demo user and workspace, and the sandbox's data. DEBUG only."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo refuses to run with DEBUG off: it creates a known login.")
        User = get_user_model()
        user = User.objects.filter(email__iexact=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                username="demo",
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                is_staff=True,
                is_superuser=True,
            )
            self.stdout.write(f"created user {DEMO_EMAIL}")
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        workspace = Workspace.objects.filter(memberships__user=user).first()
        if workspace is None:
            workspace = Workspace.objects.create(name="Demo Agency")
            Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
            self.stdout.write("created workspace Demo Agency")
        if "sandbox" in settings.INSTALLED_APPS:
            call_command("sandbox_seed")
