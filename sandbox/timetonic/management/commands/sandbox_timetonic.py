"""The TimeTonic simulator from the command line (what its settings screens do).

    python manage.py sandbox_timetonic info
    python manage.py sandbox_timetonic automation <table> <url> --token T --prefix contact

`info` prints the demo account's credentials and codes as JSON (seeding it if needed);
`automation` sets up a "Call an API" automation on a table (--exclusive replaces the
table's others).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.timetonic import control, seed


class Command(BaseCommand):
    help = "TimeTonic simulator: print the demo credentials, or set up an automation."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["info", "automation", "reset"])
        parser.add_argument("table", nargs="?", default="")
        parser.add_argument("url", nargs="?", default="")
        parser.add_argument("--token", default="")
        parser.add_argument("--prefix", default="row")
        parser.add_argument("--exclusive", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        action = options["action"]
        if action == "reset":
            seed.reset()
        if action in ("info", "reset"):
            self.stdout.write(json.dumps(seed.info()))
            return
        seed.seed()
        table = control._table(options["table"])
        url = str(options["url"])
        if table is None or not url.startswith(("http://", "https://")):
            raise CommandError("give a table (catId or name) and an http(s) URL")
        auto = control.add_automation(
            table, url, str(options["token"]), str(options["prefix"]), bool(options["exclusive"])
        )
        self.stdout.write(json.dumps(control.automation_dict(auto)))
