"""Delete old runs (with their steps and log lines), webhook events and ledger entries.

    python manage.py prune_history [--dry-run] [--run-days N] [--webhook-days N]
                                   [--ledger-days N] [--batch N]

Defaults come from RUN_RETENTION_DAYS, WEBHOOK_RETENTION_DAYS, LEDGER_RETENTION_DAYS and
PRUNE_BATCH_SIZE; what is kept regardless of age is said in integrations/retention.py.
The same pruning runs daily from celery beat.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from integrations import retention


class Command(BaseCommand):
    help = "Delete old runs, webhook events and ledger entries in batches (see --dry-run)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--run-days", type=int)
        parser.add_argument("--webhook-days", type=int)
        parser.add_argument("--ledger-days", type=int)
        parser.add_argument("--batch", type=int)

    def handle(self, *args: object, **options: object) -> None:
        days = {k: options[k] for k in ("run_days", "webhook_days", "ledger_days")}
        for name, value in days.items():
            if value is not None and int(value) < 0:  # type: ignore[call-overload]
                raise CommandError(f"--{name.replace('_', '-')} must be 0 (keep all) or more")
        batch = options["batch"]
        if batch is not None and not 1 <= int(batch) <= 100_000:  # type: ignore[call-overload]
            raise CommandError("--batch must be between 1 and 100000")
        result = retention.prune(
            dry_run=bool(options["dry_run"]),
            batch=batch,  # type: ignore[arg-type]
            **days,  # type: ignore[arg-type]
        )
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(json.dumps({verb: asdict(result)}, indent=2))
