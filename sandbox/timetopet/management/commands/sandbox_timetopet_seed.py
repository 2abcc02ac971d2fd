"""Make sure the demo company has visits and print its feed and CSV paths as JSON (what a
person copies from Time To Pet's Settings → Calendar Integration and Clients → Export)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from sandbox.timetopet import services
from sandbox.timetopet.views import _paths


class Command(BaseCommand):
    help = "Seed the Time To Pet sandbox (if empty) and print its feed paths as JSON."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--fresh", action="store_true", help="generate the visits again")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        co = services.company()
        if options["fresh"] or not co.visits.exists():
            co = services.generate()
        self.stdout.write(json.dumps(_paths(co)))
