"""Make sure the demo company has visits and print its feed and CSV paths as JSON (what a
person copies from Time To Pet's Settings → Calendar Integration and Clients → Export).

With `--ghl-location`, the company's exported clients are also put into that location of
the GHL sandbox, as a business that imported them once already has them: the demo's
visits then land on their contacts, and only the walk-in client (left out of the export)
stays unmatched, as it would in real life."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.timetopet import services
from sandbox.timetopet.views import _paths


def _clients_in_ghl(co, location_id: str) -> int:  # type: ignore[no-untyped-def]
    """Exported clients as contacts of the GHL sandbox location (no webhooks: they were
    there before the demo started); an existing contact with that email is left alone."""
    from sandbox.ghl import services as ghl
    from sandbox.models import SandboxContact, SandboxLocation

    location = SandboxLocation.objects.filter(id=location_id).first()
    if location is None:
        raise CommandError(f"no GHL sandbox location {location_id!r}")
    added = 0
    for client in co.clients.filter(in_export=True).order_by("pk"):
        if client.email and ghl.find_duplicate(location, client.email, "")[0]:
            continue
        contact = SandboxContact(location=location, source="Time To Pet import")
        contact.first_name, contact.last_name = client.first_name, client.last_name
        contact.name = client.name
        contact.email = client.email
        contact.phone = ghl.normalize_phone(client.phone) if client.phone else ""
        contact.tags = ["time to pet"]
        contact.date_added = contact.date_updated = ghl.now_ms()
        contact.save()
        added += 1
    return added


class Command(BaseCommand):
    help = "Seed the Time To Pet sandbox (if empty) and print its feed paths as JSON."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--fresh", action="store_true", help="generate the visits again")
        parser.add_argument(
            "--ghl-location", default="", help="also give this GHL sandbox location the clients"
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        co = services.company()
        if options["fresh"] or not co.visits.exists():
            co = services.generate()
        if options["ghl_location"]:
            _clients_in_ghl(co, options["ghl_location"])
        self.stdout.write(json.dumps(_paths(co)))
