"""`python -m bench.throughput`: webhook ingestion and end-to-end runs per second (#14).

On its own stack (gunicorn 4x8 gthread, Celery workers as in bench/stack.py), with
PostgreSQL + Redis when DATABASE_URL / REDIS_URL / CELERY_BROKER_URL are set — then in the
production configuration (DEBUG off, generated keys) — else on the embedded default:

1. Ingestion, no worker running: BENCH_EVENTS (2,000) signed GHL ContactCreate webhooks
   from BENCH_CLIENTS (32) concurrent clients; webhooks/s, p50/p95, non-2xx, and that every
   one was stored with its run queued.
2. End to end: the workers start and run them all; runs/s from the first start to the
   last finish, lost (runs not succeeded, events without a run) and duplicated (a record
   created twice in the target), CPU seconds per process group.

The target app is bench/responder.py, a minimal responder in its own process, so the
figures measure Syncdeck, not a simulator. Tests never assert on these numbers.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench import stack as stack_mod
from bench.report import Row, table

N_EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
LOCATION = "loc-throughput-bench"
GOAL_WEBHOOKS = 500.0
GOAL_RUNS = 220.0


def _production_env() -> bool:
    """PostgreSQL + Redis given: run as production does (DEBUG off, real keys)."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        return False
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        return False
    from cryptography.fernet import Fernet

    keys = stack_mod.BASE_DIR / "sandbox" / "keys"
    os.environ.pop("SYNCDECK_DEMO", None)
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SYNCDECK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HTTP_ALLOW_PRIVATE_TARGETS": "true",  # the responder listens on loopback
            "GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE": str(keys / "ed25519-public.pem"),
            "GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE": str(keys / "rsa-public.pem"),
        }
    )
    return True


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _signed_bodies(n: int, tag: str) -> list[tuple[bytes, str]]:
    from cryptography.hazmat.primitives import serialization

    key_file = stack_mod.BASE_DIR / "sandbox" / "keys" / "ed25519-private.pem"
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    stamp = _iso(datetime.now(UTC))
    out = []
    for i in range(n):
        body = json.dumps(
            {
                "type": "ContactCreate",
                "locationId": LOCATION,
                "id": f"{tag}-{i}",
                "email": f"{tag}-{i}@bench.example.com",
                "firstName": "Bench",
                "lastName": str(i),
                "timestamp": stamp,
                "webhookId": str(uuid.uuid4()),
            },
            separators=(",", ":"),
        ).encode()
        out.append((body, base64.b64encode(key.sign(body)).decode()))  # type: ignore[call-arg]
    return out


def _post_all(url: str, bodies: list[tuple[bytes, str]]) -> tuple[float, list[float], int]:
    import threading

    import requests

    local = threading.local()

    def send(item: tuple[bytes, str]) -> tuple[float, int]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body, signature = item
        began = time.perf_counter()
        answer = session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "x-ghl-signature": signature},
            timeout=30,
        )
        return time.perf_counter() - began, answer.status_code

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(send, bodies))
    wall = time.perf_counter() - began
    return wall, [r[0] for r in results], sum(1 for r in results if not 200 <= r[1] < 300)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in a process group (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 (pgrp), after the ")"
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _postgres_cpu() -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            if comm not in ("postgres", "postmaster"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> int:
    production = _production_env()
    info = stack_mod.prepare_env()
    if production:
        os.environ.pop("SYNCDECK_DEMO", None)
    var_dir = Path(info["var_dir"])
    stack = stack_mod.Stack(var_dir=var_dir, port=int(info["port"]))
    print(f"throughput: var dir {var_dir}, port {stack.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    from bench import responder

    target_port = stack_mod.free_port()
    target = responder.start(target_port)
    rows: list[Row] = []
    try:
        stack_mod.manage("migrate", "--noinput")
        if os.environ.get("DATABASE_URL"):
            stack_mod.manage("flush", "--noinput")
        import django

        django.setup()
        import requests
        from django.db.models import Count, Max, Min

        from integrations import demo
        from integrations.models import (
            Connection,
            Run,
            RunStatus,
            WebhookEvent,
            Workspace,
        )

        workspace = Workspace.objects.create(name="Throughput bench")
        ghl = Connection(
            workspace=workspace, kind="ghl", auth_method="pit", account_id=LOCATION, label="GHL"
        )
        ghl.credentials = {"pit": "pit-bench-" + secrets.token_hex(8)}
        ghl.save()
        target_conn = demo.yourapp_connection(workspace, f"http://127.0.0.1:{target_port}")
        demo.build_ghl_to_yourapp(workspace, ghl, target_conn, with_polling=False)

        # --- 1. ingestion, no worker ------------------------------------------------
        stack.start_web()
        web_pgid = stack.procs["web"].pid
        warm = _signed_bodies(50, "warm")
        _post_all(stack.url + "/webhooks/ghl/", warm)
        bodies = _signed_bodies(N_EVENTS, "ev")
        cpu_web0, cpu_db0 = _cpu_seconds(web_pgid), _postgres_cpu()
        wall, latencies, non_2xx = _post_all(stack.url + "/webhooks/ghl/", bodies)
        cpu_web = _cpu_seconds(web_pgid) - cpu_web0
        cpu_db = _postgres_cpu() - cpu_db0 if production else float("nan")
        ids = [json.loads(b)["id"] for b, _ in bodies]
        stored = WebhookEvent.objects.filter(event_type="ContactCreate").count() - len(warm)
        queued = Run.objects.filter(record_id__in=ids).count()
        rate = N_EVENTS / wall
        rows += [
            Row(
                f"1. webhooks accepted per second ({N_EVENTS}, {CLIENTS} clients, no worker)",
                f"{rate:.0f}/s",
                f"≥ {GOAL_WEBHOOKS:.0f}/s",
                rate >= GOAL_WEBHOOKS and non_2xx == 0,
            ),
            Row(
                "1. latency p50 / p95",
                f"{_pct(latencies, 0.5) * 1000:.0f} / {_pct(latencies, 0.95) * 1000:.0f} ms",
                "(info)",
            ),
            Row("1. non-2xx answers", str(non_2xx), "0", non_2xx == 0),
            Row(
                "1. stored / runs queued",
                f"{stored} / {queued}",
                f"{N_EVENTS} / {N_EVENTS}",
                stored == N_EVENTS and queued == N_EVENTS,
            ),
            Row(
                "1. CPU s per 1,000 webhooks: web / database",
                f"{cpu_web / N_EVENTS * 1000:.1f} / "
                + ("n/a" if cpu_db != cpu_db else f"{cpu_db / N_EVENTS * 1000:.1f}"),
                "(info)",
            ),
        ]
        print(table(rows), flush=True)

        # --- 2. end to end ----------------------------------------------------------
        began = time.monotonic()
        cpu_db0 = _postgres_cpu()
        stack.start_workers()
        workers = [p.pid for name, p in stack.procs.items() if name.startswith("worker")]
        worker_cpu0 = sum(_cpu_seconds(pid) for pid in workers)  # after start-up
        runs = Run.objects.filter(record_id__in=ids)
        deadline = time.monotonic() + float(os.environ.get("BENCH_E2E_TIMEOUT", "300"))
        while time.monotonic() < deadline:
            left = runs.exclude(
                status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED]
            ).count()
            if not left:
                break
            time.sleep(0.5)
        waited = time.monotonic() - began
        worker_cpu = sum(_cpu_seconds(pid) for pid in workers) - worker_cpu0
        cpu_db = _postgres_cpu() - cpu_db0 if production else float("nan")
        span = runs.aggregate(first=Min("started_at"), last=Max("finished_at"))
        by_status = dict(runs.values_list("status").annotate(n=Count("id")))
        ok = by_status.get(RunStatus.SUCCEEDED, 0)
        run_wall = (
            (span["last"] - span["first"]).total_seconds()
            if span["first"] and span["last"]
            else float("nan")
        )
        stats = requests.get(f"http://127.0.0.1:{target_port}/_stats", timeout=10).json()
        runs_per_event = runs.values("record_id").annotate(n=Count("id")).filter(n__gt=1).count()
        e2e = ok / run_wall if run_wall == run_wall and run_wall > 0 else 0.0
        rows += [
            Row(
                f"2. end-to-end runs per second ({stack_mod.CELERY_WORKERS} workers x "
                f"{stack_mod.WORKER_POOL} {stack_mod.WORKER_CONCURRENCY})",
                f"{e2e:.0f}/s",
                f"≥ {GOAL_RUNS:.0f}/s",
                e2e >= GOAL_RUNS,
            ),
            Row(
                "2. runs succeeded / other (lost)",
                f"{ok} / {N_EVENTS - ok}",
                f"{N_EVENTS} / 0",
                ok == N_EVENTS,
            ),
            Row(
                "2. duplicated: records created twice / events with 2+ runs",
                f"{stats['duplicates']} / {runs_per_event}",
                "0 / 0",
                stats["duplicates"] == 0 and runs_per_event == 0,
            ),
            Row(
                "2. target calls (responder: GET / POST / PATCH)",
                " / ".join(str(stats["counts"].get(k, 0)) for k in ("GET", "POST", "PATCH")),
                "(info)",
            ),
            Row(
                "2. CPU s per 1,000 runs: workers / database",
                f"{worker_cpu / max(1, ok) * 1000:.1f} / "
                + ("n/a" if cpu_db != cpu_db else f"{cpu_db / max(1, ok) * 1000:.1f}"),
                "(info)",
            ),
            Row("2. wall time until all finished", f"{waited:.1f} s", "(info)"),
        ]
    finally:
        stack.stop()
        target.terminate()
    mode = "production settings (DEBUG off)" if production else "embedded demo settings"
    print()
    print(
        f"Throughput on {os.cpu_count()} cores, {mode}; database {stack_mod.database_label()}; "
        f"broker {stack_mod.broker_label()}; target: a minimal responder (bench/responder.py)."
    )
    print(table(rows))
    (stack_mod.BASE_DIR / "bench" / "results-throughput.txt").write_text(table(rows) + "\n")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
