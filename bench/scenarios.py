"""The three measurements. Imported only after Django is set up (see __main__).

The bench reads product and sandbox tables directly (it is not product code) to time and
count what happened; it drives the system only the way an operator or an outside app would:
over HTTP, or by queueing runs the way the polling trigger does.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from django.db import close_old_connections
from django.db.models import Max, Min

from bench import stack as stack_mod
from integrations import demo
from integrations.models import (
    Connection,
    Flow,
    Integration,
    Membership,
    Role,
    Run,
    RunStatus,
    RunStep,
    Step,
    TriggerKind,
    WebhookEvent,
    Workspace,
)
from integrations.sync import dispatch
from sandbox.models import SandboxRateCounter, SandboxYourAppEvent

N_CONTACTS = 2000
N_CHANGED = 20
N_EVENTS = 500
EVENT_RATE = 20.0  # updates per second in metric 3
SANDBOX_RPS = stack_mod.SANDBOX_RATE_MAX / (stack_mod.SANDBOX_RATE_INTERVAL_MS / 1000)
PENDING = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING)
GHL_VERSION = "2021-07-28"


@dataclass
class Env:
    url: str
    http: requests.Session
    workspace: Workspace | None = None
    ghl: Connection | None = None
    yourapp: Connection | None = None
    pit: str = ""
    location_id: str = ""
    # Highest count seen per sandbox burst window (the sandbox deletes old windows now and
    # then, so they are sampled while the bench waits).
    windows: dict[tuple[str, int], int] = field(default_factory=dict)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        answer = self.http.post(self.url + path, json=payload, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def sample_rate_windows(self) -> None:
        for key, window, count in SandboxRateCounter.objects.filter(kind="burst").values_list(
            "key", "window", "count"
        ):
            self.windows[(key, window)] = max(count, self.windows.get((key, window), 0))

    def sandbox_429s(self) -> int:
        """Requests the GHL sandbox counted over its burst limit (each answered 429)."""
        self.sample_rate_windows()
        return sum(max(0, c - stack_mod.SANDBOX_RATE_MAX) for c in self.windows.values())


# --- set-up --------------------------------------------------------------------------
def setup(env: Env) -> None:
    from django.contrib.auth import get_user_model

    env.post(
        "/sandbox/ghl/_control/limits",
        {
            "max": stack_mod.SANDBOX_RATE_MAX,
            "interval_ms": stack_mod.SANDBOX_RATE_INTERVAL_MS,
            "daily": 1_000_000,
        },
    )
    env.post("/sandbox/ghl/_control/faults", {"error_rate": 0, "rate_429": 0, "slow_rate": 0})
    env.post("/sandbox/ghl/_control/reset-counters", {})
    env.post("/sandbox/yourapp/_control/reset", {})
    env.post(
        "/sandbox/yourapp/_control/config",
        {"subscribers": [], "error_rate": 0, "rate_429": 0, "slow_rate": 0},
    )
    pit = env.post("/sandbox/ghl/_control/pit", {})
    env.pit, env.location_id = pit["token"], pit["locationId"]

    user = get_user_model().objects.create_user(
        username="bench", email="bench@example.com", password=None
    )
    env.workspace = Workspace.objects.create(name="Bench")
    Membership.objects.create(workspace=env.workspace, user=user, role=Role.OWNER)
    ghl = Connection(workspace=env.workspace, kind="ghl", label="HighLevel sandbox (bench)")
    ghl.scopes_requested = ghl.scopes_granted = ["contacts.readonly", "contacts.write"]
    ghl.connector.connect_with_pit(env.pit, env.location_id)
    ghl.save()
    env.ghl = ghl
    env.yourapp = demo.yourapp_connection(env.workspace, env.url)


def _yourapp_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"}


def create_yourapp_contacts(env: Env) -> float:
    """2,000 contacts in the Your App sandbox through its API; returns seconds taken."""
    started = time.monotonic()

    def create(i: int) -> None:
        body = {
            "first_name": f"Bench{i:04d}",
            "last_name": "Person",
            "email": f"bench{i:04d}@example.com",
            "phone": f"+1415555{i:04d}",
            "company": "Bench Co",
            "tags": ["bench"],
        }
        answer = env.http.post(
            env.url + "/sandbox/yourapp/api/contacts",
            json=body,
            headers=_yourapp_headers(),
            timeout=30,
        )
        answer.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(N_CONTACTS)))
    return time.monotonic() - started


# --- metric 1 and 2: Your App → GHL full sync ------------------------------------------
def build_push_flow(env: Env) -> Flow:
    integration = Integration.objects.create(workspace=env.workspace, name="Bench: Your App → GHL")
    flow = Flow.objects.create(
        integration=integration,
        name="Full sync of Your App contacts → HighLevel",
        source=env.yourapp,
        trigger_kind=TriggerKind.POLL,
        trigger_config={"object": "contact", "interval_minutes": 15},
        object_type="contact",
    )
    Step.objects.create(
        flow=flow,
        key="push",
        position=1,
        connection=env.ghl,
        operation="upsert-contact",
        update_operation="update-contact",
        record_mode=Step.RecordMode.SYNC,
        source_id_path="trigger.id",
        result_id_path="contact.id",
        target_id_param="contactId",
        mapping=demo.YOURAPP_TO_GHL,
    )
    return flow


def queue_full_sync(flow: Flow, tag: str) -> tuple[list[int], float]:
    """One run per Your App record (like a poll with an empty cursor); returns run ids."""
    started = time.monotonic()
    records, _ = flow.source.connector.poll(flow.trigger_config, "")
    ids = []
    for record in records:
        run = dispatch.create_run(
            flow, record, trigger="manual", event_type="poll", dedupe_key=f"{tag}:{record['id']}"
        )
        if run is not None:
            ids.append(run.pk)
    return ids, time.monotonic() - started


def wait_runs(env: Env, run_ids: list[int], timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        env.sample_rate_windows()
        if not Run.objects.filter(pk__in=run_ids, status__in=PENDING).exists():
            return True, time.monotonic() - started
        time.sleep(1)
    return False, time.monotonic() - started


@dataclass
class PassResult:
    run_ids: list[int]
    runs: int
    statuses: dict[str, int]
    done: bool
    queue_seconds: float
    wait_seconds: float
    ghl_calls: int
    calls_429: int
    first: Any
    last: Any
    all_calls: int
    run_wall: float  # first run start → last run finish
    finished: int

    @property
    def span(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds()

    @property
    def rate(self) -> float:
        return self.ghl_calls / self.span if self.span > 0 else 0.0


def pass_result(
    env: Env, flow: Flow, run_ids: list[int], done: bool, queued: float, waited: float
) -> PassResult:
    runs = Run.objects.filter(pk__in=run_ids)
    statuses = Counter(runs.values_list("status", flat=True))
    steps = RunStep.objects.filter(run__in=runs)
    ghl = steps.filter(run__flow=flow, step_key="push")
    span = ghl.aggregate(first=Min("created"), last=Max("created"))
    wall = runs.aggregate(s=Min("started_at"), f=Max("finished_at"))
    finished = runs.exclude(finished_at=None).count()
    run_wall = (wall["f"] - wall["s"]).total_seconds() if wall["s"] and wall["f"] else 0.0
    return PassResult(
        run_ids=run_ids,
        runs=len(run_ids),
        statuses=dict(statuses),
        done=done,
        queue_seconds=queued,
        wait_seconds=waited,
        ghl_calls=ghl.count(),
        calls_429=ghl.filter(response_status=429).count(),
        first=span["first"],
        last=span["last"],
        all_calls=steps.count(),
        run_wall=run_wall,
        finished=finished,
    )


def full_sync(env: Env, flow: Flow, tag: str, timeout: float) -> PassResult:
    run_ids, queued = queue_full_sync(flow, tag)
    done, waited = wait_runs(env, run_ids, timeout)
    return pass_result(env, flow, run_ids, done, queued, waited)


def cancel_leftovers(run_ids: list[int]) -> int:
    """Cancel the runs a timed-out pass left queued and empty the broker's queue."""
    from config.celery import app

    cancelled = Run.objects.filter(pk__in=run_ids, status__in=PENDING).update(
        status=RunStatus.CANCELLED
    )
    app.control.purge()
    return cancelled


def change_yourapp_contacts(env: Env) -> list[str]:
    """PATCH the last name of 1 % of the Your App contacts, spread over the list."""
    answer = env.http.get(
        env.url + "/sandbox/yourapp/api/contacts",
        params={"per_page": 200, "page": 1},
        headers=_yourapp_headers(),
        timeout=30,
    )
    answer.raise_for_status()
    contacts = answer.json()["data"]
    changed = []
    for contact in contacts[: N_CHANGED * 10 : 10]:
        env.http.patch(
            env.url + f"/sandbox/yourapp/api/contacts/{contact['id']}",
            json={"last_name": "Changed"},
            headers=_yourapp_headers(),
            timeout=30,
        ).raise_for_status()
        changed.append(contact["id"])
    return changed


# --- metric 3: GHL webhook → Your App receiver -----------------------------------------
EVENT_MAPPING = [
    {"target": "type", "const": "contact.updated"},
    {"target": "data.id", "source": "trigger.id"},
    {"target": "data.first_name", "source": "trigger.firstName"},
    {"target": "data.last_name", "source": "trigger.lastName"},
    {"target": "data.email", "source": "trigger.email"},
]


def build_event_integration(env: Env) -> Flow:
    integration = demo.build_ghl_to_yourapp(env.workspace, env.ghl, env.yourapp, with_polling=False)
    flow = integration.flows.get(trigger_kind=TriggerKind.WEBHOOK, steps__key="push")
    Step.objects.filter(flow=flow, key="push").update(
        operation="event.send",
        update_operation="",
        record_mode=Step.RecordMode.NONE,
        mapping=EVENT_MAPPING,
        params={},
    )
    env.post("/sandbox/ghl/_control/webhooks", {"url": f"{env.url}/webhooks/ghl/"})
    return flow


@dataclass
class LatencyResult:
    sent: int
    send_errors: int
    api_429: int
    received: int
    latencies: list[float]
    send_seconds: float
    parts: dict[str, float]

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ts(value: Any) -> float:
    return value.timestamp()


def webhook_latency(env: Env, flow: Flow, ghl_ids: list[str], timeout: float) -> LatencyResult:
    headers = {
        "Authorization": f"Bearer {env.pit}",
        "Version": GHL_VERSION,
        "Accept": "application/json",
    }
    returned: dict[str, float] = {}
    errors = api_429 = 0
    start = time.monotonic()
    for i, contact_id in enumerate(ghl_ids[:N_EVENTS]):
        due = start + i / EVENT_RATE
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        marker = f"Lat{i:04d}"
        answer = env.http.put(
            env.url + f"/sandbox/ghl/contacts/{contact_id}",
            json={"lastName": marker},
            headers=headers,
            timeout=30,
        )
        now = time.time()
        if answer.status_code == 200:
            returned[marker] = now
        else:
            errors += 1
            api_429 += answer.status_code == 429
    send_seconds = time.monotonic() - start

    received: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        env.sample_rate_windows()
        for raw, at in SandboxYourAppEvent.objects.filter(
            type="contact.updated", signature=SandboxYourAppEvent.VALID, duplicate=False
        ).values_list("raw_body", "received_at"):
            data = (json.loads(raw) or {}).get("data") or {}
            marker = str(data.get("last_name") or "")
            if marker in returned and marker not in received:
                received[marker] = _ts(at)
        if len(received) >= len(returned):
            break
        time.sleep(1)
    latencies = [received[m] - returned[m] for m in received]

    # Where the time goes: sandbox → our webhook endpoint, our queue, the run itself.
    to_inbox, in_queue, in_run = [], [], []
    events = {
        str((json.loads(e.raw_body) or {}).get("lastName") or ""): e
        for e in WebhookEvent.objects.filter(event_type="ContactUpdate")
    }
    for run in Run.objects.filter(flow=flow).exclude(started_at=None):
        marker = str((run.payload or {}).get("lastName") or "")
        if marker not in received or run.attempt != 1:
            continue
        event = events.get(marker)
        if event is not None:
            to_inbox.append(_ts(event.received_at) - returned[marker])
        in_queue.append(_ts(run.started_at) - _ts(run.created))
        in_run.append(received[marker] - _ts(run.started_at))
    parts = {
        "GHL API return → our webhook stored (p50)": _median(to_inbox),
        "run queued → run started by a worker (p50)": _median(in_queue),
        "run started → Your App received (p50)": _median(in_run),
        "run queued → run started by a worker (p95)": _p95(in_queue),
    }
    return LatencyResult(
        sent=len(returned),
        send_errors=errors,
        api_429=api_429,
        received=len(received),
        latencies=latencies,
        send_seconds=send_seconds,
        parts=parts,
    )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ghl_bench_contact_ids(env: Env) -> list[str]:
    """The GHL sandbox contacts metric 1 created (bench emails), oldest first."""
    from sandbox.models import SandboxContact

    return list(
        SandboxContact.objects.filter(location_id=env.location_id, email__startswith="bench")
        .order_by("date_added", "pk")
        .values_list("pk", flat=True)
    )


def refresh_db() -> None:
    close_old_connections()
