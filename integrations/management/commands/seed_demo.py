from __future__ import annotations

import io
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from integrations import demo, demo_apps
from integrations.models import Connection, Integration, Membership, Role, Workspace
from integrations.wizard import starter

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo"
GHL_LABEL = "HighLevel sandbox (demo)"
DEMO_SCOPES = [
    "contacts.readonly",
    "contacts.write",
    "locations.readonly",
    "calendars.readonly",
    "calendars/events.readonly",
    "calendars/events.write",
]


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
            self.seed_integration(workspace, user)

    def seed_integration(self, workspace: Workspace, user: object) -> None:
        """The two-way demo integration (all six use cases), against the sandboxes."""
        site = settings.SITE_URL
        ghl = Connection.objects.filter(workspace=workspace, kind="ghl", label=GHL_LABEL).first()
        if ghl is None:
            out = io.StringIO()
            call_command("sandbox_pit", stdout=out)
            pit = json.loads(out.getvalue())
            ghl = Connection(workspace=workspace, kind="ghl", label=GHL_LABEL, created_by=user)
            ghl.scopes_requested = ghl.scopes_granted = DEMO_SCOPES
            ghl.connector.connect_with_pit(pit["token"], pit["locationId"])
            ghl.account_name = ghl.account_name or "Northside Dental"
            ghl.save()
        yourapp = demo.yourapp_connection(workspace, site)
        out = io.StringIO()
        call_command("sandbox_calendars", "--location", ghl.account_id, stdout=out)
        calendars = json.loads(out.getvalue())
        # The first wave's one-way demo is replaced by the two-way one (same contacts).
        Integration.objects.filter(workspace=workspace, name=demo.DEMO_NAME).delete()
        integration = starter.build_two_way(
            workspace,
            ghl,
            yourapp,
            calendar_id=calendars[0]["id"] if calendars else "",
            user=user,
        )
        # What an operator does in GHL's app settings: point its webhooks at us.
        call_command("sandbox_subscribe", f"{site}/webhooks/ghl/", "--exclusive", verbosity=0)
        # …and what one does in Your App's settings: send its events to our inbound URL.
        inbound = site + yourapp.connector.inbound_path
        call_command("sandbox_yourapp_subscribe", inbound, "--exclusive", verbosity=0)
        self.stdout.write(f"demo integration ready: {integration.name}")
        for app in demo_apps.modules():
            self.stdout.write(app.seed(workspace, user, ghl, site))
