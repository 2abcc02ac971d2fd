"""`python -m bench.dashboard_bench`: server time of the overview and the run list on
100,000 runs, measured in-process with Django's test Client, printed as a table.

It uses a fresh var dir (var/dbench-<timestamp>, or SYNCDECK_VAR_DIR when set) and so a
fresh SQLite file; with DATABASE_URL set it uses that database instead, whose name must
contain "bench" (it is flushed). It migrates, seeds 100,000 runs spread over 30 days
(a few integrations and flows, a realistic status mix, RunSteps for a fifth of them), then
requests every page N times and prints p50 / p95 server time and the number of queries.

    python -m bench.dashboard_bench [--runs 100000] [--requests 30] [--reuse]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/syncdeck_dbench python -m bench.dashboard_bench
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]


def _environment() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url and "bench" not in urlsplit(url).path:
        sys.exit("DATABASE_URL must name a database whose name contains 'bench' (it is flushed)")
    if not os.environ.get("SYNCDECK_VAR_DIR"):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        os.environ["SYNCDECK_VAR_DIR"] = str(ROOT / "var" / f"dbench-{stamp}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "dashboard-bench-" + "x" * 40)
    if not os.environ.get("SYNCDECK_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["SYNCDECK_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()


def _setup(reuse: bool) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0, interactive=False)
    if not reuse and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        call_command("flush", verbosity=0, interactive=False)


STATUS_MIX = [  # (status, attempt, trigger, weight)
    ("succeeded", 1, "webhook", 78),
    ("succeeded", 2, "webhook", 5),
    ("succeeded", 1, "retry", 2),
    ("failed", 3, "webhook", 7),
    ("skipped", 1, "webhook", 4),
    ("queued", 0, "webhook", 1),
    ("retrying", 2, "webhook", 1),
    ("cancelled", 1, "webhook", 1),
    ("succeeded", 1, "poll", 1),
]
ERRORS = [
    ("validation", "HighLevel answered 422: email is invalid"),
    ("transient", "HighLevel timed out after 10 s"),
    ("rate_limited", "HighLevel answered 429: too many requests"),
    ("auth", "HighLevel answered 401: the token was revoked"),
]
NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Linus", "Margaret"]


def seed(total: int, batch: int = 5000) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from integrations.models import (
        Connection,
        Flow,
        Integration,
        Membership,
        Role,
        Run,
        RunStep,
        TriggerKind,
        Workspace,
    )

    rng = random.Random(42)
    user = get_user_model().objects.create_user(
        username="bench", email="bench@example.com", password="bench-password"
    )
    workspace = Workspace.objects.create(name="Bench Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    ghl = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc-bench")
    ghl.credentials = {"pit": "x" * 20}
    ghl.save()
    flows = []
    for i, name in enumerate(["GHL → CRM", "Tasks sync", "Notes", "Appointments"]):
        integration = Integration.objects.create(workspace=workspace, name=name)
        for j in range(2):
            flows.append(
                Flow.objects.create(
                    integration=integration,
                    name=f"flow {i}.{j}",
                    source=ghl,
                    trigger_kind=TriggerKind.WEBHOOK if j == 0 else TriggerKind.POLL,
                )
            )
    # Seeded runs carry their own (past) creation times.
    for model in (Run, RunStep):
        model._meta.get_field("created").auto_now_add = False
    weights = [w for *_, w in STATUS_MIX]
    now = timezone.now()
    span = timedelta(days=30).total_seconds()
    made = 0
    while made < total:
        runs = []
        for _ in range(min(batch, total - made)):
            status, attempt, trigger, _w = rng.choices(STATUS_MIX, weights)[0]
            created = now - timedelta(seconds=rng.random() * span)
            name = rng.choice(NAMES)
            kind, error = rng.choice(ERRORS) if status == "failed" else ("", "")
            finished = status in ("succeeded", "failed", "skipped", "cancelled")
            runs.append(
                Run(
                    workspace=workspace,
                    flow=rng.choice(flows),
                    status=status,
                    trigger=trigger,
                    event_type="ContactUpdate",
                    payload={"id": f"c-{made}", "email": f"{name.lower()}{made}@example.com"},
                    record_id=f"c-{made}",
                    record_label=f"{name} {made} <{name.lower()}{made}@example.com>",
                    attempt=attempt,
                    error_kind=kind,
                    error=error,
                    created=created,
                    started_at=created if finished else None,
                    finished_at=created + timedelta(milliseconds=rng.randint(80, 2500))
                    if finished
                    else None,
                )
            )
            made += 1
        created_runs = Run.objects.bulk_create(runs, batch_size=batch)
        steps = [
            RunStep(
                run=run,
                operation="contact.update",
                method="PUT",
                url=f"https://services.leadconnectorhq.com/contacts/{run.record_id}",
                response_status=200,
                duration_ms=rng.randint(50, 900),
                created=run.created,
            )
            for run in created_runs
            if rng.random() < 0.2
        ]
        RunStep.objects.bulk_create(steps, batch_size=batch)
    for model in (Run, RunStep):
        model._meta.get_field("created").auto_now_add = True
    return {"user": user, "workspace": workspace, "flows": flows}


def reuse_cast() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from integrations.models import Flow, Workspace

    workspace = Workspace.objects.get(name="Bench Agency")
    return {
        "user": get_user_model().objects.get(username="bench"),
        "workspace": workspace,
        "flows": list(Flow.objects.filter(integration__workspace=workspace).order_by("pk")),
    }


def measure(client: Any, url: str, n: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for i in range(n + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if i:  # the first request warms caches (templates, connection)
            times.append(elapsed)
            queries = len(captured.captured_queries)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, queries


def deep_cursor(workspace: Any, offset: int, **filters: Any) -> str:
    from integrations.models import Run

    run = (
        Run.objects.filter(workspace=workspace, **filters)
        .order_by("-created", "-pk")
        .only("created")[offset : offset + 1]
        .get()
    )
    return f"{run.created.isoformat()}|{run.pk}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the data a previous run seeded (same SYNCDECK_VAR_DIR / DATABASE_URL), "
        "e.g. after adding an index by hand",
    )
    args = parser.parse_args()
    _environment()
    _setup(args.reuse)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    started = time.perf_counter()
    cast = reuse_cast() if args.reuse else seed(args.runs)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load; without it the planner guesses.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seeded = time.perf_counter() - started
    client = Client()
    client.force_login(cast["user"])
    workspace = cast["workspace"]
    flow = cast["flows"][0]
    pages = [
        ("overview", "/"),
        ("overview, 30 d chart", "/?range=30d"),
        (
            "charts, one integration, 30 d",
            f"/charts/?range=30d&integration={flow.integration.code}",
        ),
        ("runs, first page", "/runs/"),
        (
            "runs, deep page (50,000th)",
            "/runs/?" + urlencode({"before": deep_cursor(workspace, 50_000)}),
        ),
        ("runs, filtered (failed, 7 d)", "/runs/?status=failed&range=7d"),
        (
            "runs, filtered deep page",
            "/runs/?"
            + urlencode(
                {
                    "status": "succeeded",
                    "integration": str(flow.integration.code),
                    "before": deep_cursor(
                        workspace, 10_000, status="succeeded", flow__integration=flow.integration
                    ),
                }
            ),
        ),
        ("runs, search 'ada'", "/runs/?q=ada"),
        ("runs, search + filters", f"/runs/?q=grace&status=failed&flow={flow.code}&range=30d"),
        ("audit log", "/audit/"),
    ]
    vendor = connection.vendor
    print(
        f"\nDashboard bench: {args.runs:,} runs on {vendor} "
        f"({settings.DATABASES['default']['NAME']}), "
        f"{'reused' if args.reuse else f'seeded in {seeded:.0f} s'}, "
        f"{args.requests} requests per page\n"
    )
    rows = [("page", "p50 ms", "p95 ms", "queries")]
    for label, url in pages:
        p50, p95, queries = measure(client, url, args.requests)
        rows.append((label, f"{p50:.1f}", f"{p95:.1f}", str(queries)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for k, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
