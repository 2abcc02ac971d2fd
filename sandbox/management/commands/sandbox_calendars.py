import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.models import SandboxCalendar, SandboxLocation


class Command(BaseCommand):
    help = "Print a GHL sandbox location's calendars as JSON [{id, name}] (default: first)."

    def add_arguments(self, parser):
        parser.add_argument("--location", default=None, help="location id (default: first)")

    def handle(self, *args, **options):
        locations = SandboxLocation.objects.order_by("created", "name")
        location = (
            locations.filter(pk=options["location"]).first()
            if options["location"]
            else locations.first()
        )
        if location is None:
            raise CommandError(f"Unknown location {options['location']!r}")
        calendars = SandboxCalendar.objects.filter(location=location, is_active=True)
        self.stdout.write(json.dumps([{"id": c.id, "name": c.name} for c in calendars]))
