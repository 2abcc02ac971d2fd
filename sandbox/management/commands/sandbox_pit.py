import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.ghl.control import mint_pit

DEFAULT_SCOPES = (
    "contacts.readonly contacts.write locations.readonly locations/customFields.readonly "
    "calendars.readonly calendars/events.readonly calendars/events.write"
)


class Command(BaseCommand):
    help = "Print a GHL sandbox Private Integration Token as JSON {token, locationId}."

    def add_arguments(self, parser):
        parser.add_argument("--location", default=None, help="location id (default: first)")
        parser.add_argument(
            "--scopes",
            default=DEFAULT_SCOPES,
            help=f"space-separated scopes (default: {DEFAULT_SCOPES!r})",
        )

    def handle(self, *args, **options):
        token, location_id = mint_pit(options["location"], options["scopes"])
        if token is None:
            raise CommandError(f"Unknown location {options['location']!r}")
        self.stdout.write(json.dumps({"token": token, "locationId": location_id}))
