"""`python -m bench`: one measurement session on a stack of its own, printed as a table.

It creates a fresh var dir (var/bench-<timestamp>), migrates and seeds it, starts gunicorn
and Celery workers on a free 127.0.0.1 port, measures, prints, writes
bench/results-latest.txt and stops every process it started (also on Ctrl-C or error).
DATABASE_URL / REDIS_URL / CELERY_BROKER_URL from the environment are used when set (the
database name must contain "bench": it is flushed).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import stack as stack_mod
from bench.report import Row, table

TOTAL_BUDGET = 570.0  # seconds; every wait below is cut to what is left of it


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _check_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url and "bench" not in urlsplit(url).path:
        sys.exit(
            "DATABASE_URL must name a database whose name contains 'bench' "
            "(the bench flushes it), e.g. postgres://postgres@127.0.0.1:5432/syncdeck_bench"
        )


def _purge_broker(var_dir: Path) -> None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url and not url.startswith("filesystem://"):
        subprocess.run(
            [str(stack_mod.BIN / "celery"), "-A", "config", "purge", "-f"],
            cwd=var_dir,
            env=dict(os.environ),
            capture_output=True,
            timeout=60,
        )


def _statuses(statuses: dict[str, int], total: int) -> str:
    ok = statuses.get("succeeded", 0)
    failed = statuses.get("failed", 0)
    return f"{ok} / {failed} / {total - ok - failed}"


def _fmt(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def main() -> int:
    _check_database()
    signal.signal(signal.SIGTERM, _terminate)
    began = time.monotonic()
    info = stack_mod.prepare_env()
    var_dir = Path(info["var_dir"])
    stack = stack_mod.Stack(var_dir=var_dir, port=int(info["port"]))
    print(f"bench: var dir {var_dir}, port {stack.port}", flush=True)

    def left() -> float:
        return TOTAL_BUDGET - (time.monotonic() - began)

    rows: list[Row] = []
    notes: list[str] = []
    try:
        stack_mod.manage("migrate", "--noinput")
        if os.environ.get("DATABASE_URL"):
            stack_mod.manage("flush", "--noinput")
        stack_mod.manage("sandbox_seed")
        _purge_broker(var_dir)

        import django

        django.setup()
        import requests

        from bench import scenarios as sc

        stack.start()
        print(f"bench: stack up after {time.monotonic() - began:.0f} s", flush=True)
        env = sc.Env(url=stack.url, http=requests.Session())
        sc.setup(env)
        took = sc.create_yourapp_contacts(env)
        print(f"bench: {sc.N_CONTACTS} Your App contacts created in {took:.1f} s", flush=True)

        # --- metric 1 ---------------------------------------------------------------
        flow = sc.build_push_flow(env)
        p1 = sc.full_sync(env, flow, "bench1", timeout=min(240.0, left() - 200))
        print(f"bench: pass 1 {p1.statuses} in {p1.wait_seconds:.0f} s", flush=True)
        ratio = p1.rate / sc.SANDBOX_RPS
        over = env.sandbox_429s()
        rows += [
            Row(
                "1. push 2,000 → GHL: request rate ÷ limit",
                f"{ratio:.2f} ({p1.rate:.1f} of {sc.SANDBOX_RPS:.0f} rps)",
                "≥ 0.90",
                ratio >= 0.9,
            ),
            Row(
                "1. 429 responses (RunSteps / sandbox over-limit)",
                f"{p1.calls_429} / {over}",
                "0",
                p1.calls_429 == 0 and over == 0,
            ),
            Row(
                "1. GHL calls per record",
                f"{p1.ghl_calls / sc.N_CONTACTS:.3f} ({p1.ghl_calls})",
                "1 (info)",
            ),
            Row(
                "1. runs succeeded / failed / other",
                _statuses(p1.statuses, p1.runs),
                f"{sc.N_CONTACTS} / 0",
                p1.done and p1.statuses.get("succeeded", 0) == sc.N_CONTACTS,
            ),
            Row(
                "1. time: queue 2,000 runs / until all finished",
                f"{p1.queue_seconds:.1f} s / {p1.wait_seconds:.1f} s",
                "(info)",
            ),
            Row(
                "1. runs per second (first start → last finish)",
                f"{p1.finished / p1.run_wall:.1f}" if p1.run_wall else "n/a",
                "(info)",
            ),
        ]

        if not p1.done:
            cancelled = sc.cancel_leftovers(p1.run_ids)
            notes.append(
                f"pass 1 did not finish within its time limit: {cancelled} runs cancelled "
                "and the broker queue purged; metric 1 counts the runs that finished"
            )
            rows.append(
                Row("2. re-sync, 1 % changed", "not measured (pass 1 unfinished)", "≤ 1.10", False)
            )
        else:
            # --- metric 2 ---------------------------------------------------------------
            changed = sc.change_yourapp_contacts(env)
            p2 = sc.full_sync(env, flow, "bench2", timeout=max(30.0, min(180.0, left() - 110)))
            print(f"bench: pass 2 {p2.statuses} in {p2.wait_seconds:.0f} s", flush=True)
            per_change = p2.all_calls / max(1, len(changed))
            rows += [
                Row(
                    "2. re-sync, 1 % changed: outside calls ÷ changed",
                    f"{per_change:.2f} ({p2.all_calls} / {len(changed)})",
                    "≤ 1.10",
                    p2.done and per_change <= 1.1,
                ),
                Row(
                    "2. runs succeeded / skipped / other",
                    f"{p2.statuses.get('succeeded', 0)} / {p2.statuses.get('skipped', 0)} / "
                    f"{p2.runs - p2.statuses.get('succeeded', 0) - p2.statuses.get('skipped', 0)}",
                    f"{len(changed)} / {sc.N_CONTACTS - len(changed)} / 0",
                    p2.done and p2.statuses.get("succeeded", 0) == len(changed),
                ),
                Row(
                    "2. time: queue / until all finished",
                    f"{p2.queue_seconds:.1f} s / {p2.wait_seconds:.1f} s",
                    "(info)",
                ),
                Row(
                    "2. runs per second (first start → last finish)",
                    f"{p2.finished / p2.run_wall:.1f}" if p2.run_wall else "n/a",
                    "(info)",
                ),
            ]

        # --- metric 3 ---------------------------------------------------------------
        ids = sc.ghl_bench_contact_ids(env)
        if len(ids) < sc.N_EVENTS or left() < 60:
            rows.append(Row("3. webhook → receiver latency", "not measured", "p95 < 1 s", False))
            notes.append(f"metric 3 skipped: {len(ids)} GHL contacts, {left():.0f} s left")
        else:
            event_flow = sc.build_event_integration(env)
            lat = sc.webhook_latency(env, event_flow, ids, timeout=min(90.0, left() - 20))
            p95 = lat.pct(0.95)
            rows += [
                Row("3. GHL webhook → Your App: p50", _fmt(lat.pct(0.5)), "(info)"),
                Row(
                    "3. GHL webhook → Your App: p95",
                    _fmt(p95),
                    "< 1000 ms",
                    lat.received == lat.sent and p95 < 1.0,
                ),
                Row("3. max", _fmt(max(lat.latencies) if lat.latencies else math.nan), "(info)"),
                Row(
                    "3. events received / updates sent",
                    f"{lat.received} / {lat.sent} (in {lat.send_seconds:.1f} s)",
                    f"{sc.N_EVENTS} / {sc.N_EVENTS}",
                    lat.received == lat.sent == sc.N_EVENTS,
                ),
                Row(
                    "3. 429s on the bench's GHL API calls", str(lat.api_429), "0", lat.api_429 == 0
                ),
            ]
            for name, value in lat.parts.items():
                rows.append(Row(f"3. {name}", _fmt(value), "(info)"))
    except KeyboardInterrupt:
        print("bench: interrupted; stopping the stack", file=sys.stderr)
        notes.append("interrupted")
        return_code = 130
    except Exception as exc:
        print(f"bench: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        notes.append(f"failed: {type(exc).__name__}: {str(exc)[:300]}")
        return_code = 1
    else:
        return_code = 0
    finally:
        stack.stop()

    broker = stack_mod.broker_label()
    if broker.startswith("filesystem"):
        from django.conf import settings as dj_settings

        interval = dj_settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("polling_interval", 1.0)
        notes.append(
            f"the filesystem broker is polled every {interval} s: an idle worker sees a new "
            "task up to that late, part of metric 3's queue wait"
        )
    config = [
        f"date:      {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"database:  {stack_mod.database_label()}",
        f"broker:    {broker}",
        f"cache/rl:  {'redis ' + os.environ['REDIS_URL'] if os.environ.get('REDIS_URL') else 'locmem cache; rate limiter on a file lock'}",  # noqa: E501
        f"web:       gunicorn {stack_mod.GUNICORN_WORKERS} workers x "
        f"{stack_mod.GUNICORN_THREADS} threads (gthread), 127.0.0.1:{stack.port}",
        f"workers:   {stack_mod.CELERY_WORKERS} Celery processes x concurrency "
        f"{stack_mod.WORKER_CONCURRENCY} ({stack_mod.WORKER_POOL}), "
        f"-A {stack_mod.celery_app()}",
        f"limits:    ours {stack_mod.OUR_RATE_MAX}/{stack_mod.OUR_RATE_INTERVAL} s; "
        f"GHL sandbox {stack_mod.SANDBOX_RATE_MAX}/{stack_mod.SANDBOX_RATE_INTERVAL_MS} ms",
        f"machine:   {os.cpu_count()} CPUs; var dir {var_dir}",
        f"total:     {time.monotonic() - began:.0f} s",
    ]
    out = "\n".join(
        ["Syncdeck bench", "", *config, "", table(rows)]
        + (["", "notes:", *(f"- {n}" for n in notes)] if notes else [])
    )
    print("\n" + out)
    Path(__file__).with_name("results-latest.txt").write_text(out + "\n")
    return return_code


if __name__ == "__main__":
    sys.exit(main())
