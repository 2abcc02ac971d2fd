"""The engine over real HTTP against the GHL sandbox: GHL location A → GHL location B.

Runs are executed in-process (engine.execute) with an enqueue that records retries, so
each path is deterministic; tests with a real worker are elsewhere.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from integrations.models import (
    Flow,
    Integration,
    RecordLink,
    Run,
    RunStatus,
    Step,
    TriggerKind,
)
from integrations.sync import dispatch, engine, reaper
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)

MAPPING = [
    {"target": "firstName", "source": "trigger.firstName", "transforms": [{"name": "trim"}]},
    {"target": "lastName", "source": "trigger.lastName"},
    {
        "target": "email",
        "source": "trigger.email",
        "required": True,
        "transforms": [{"name": "trim"}, {"name": "lower"}],
    },
    {"target": "tags", "source": "trigger.tags"},
]


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    # Runs are executed by the test itself; nothing is sent to a broker.
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)


@pytest.fixture
def setup(ghl_sandbox, workspace):
    from sandbox.models import SandboxLocation

    locations = list(SandboxLocation.objects.order_by("name").values_list("pk", flat=True))
    source = pit_connection(workspace, locations[0])
    target = pit_connection(workspace, locations[1])
    integration = Integration.objects.create(workspace=workspace, name="A → B")
    flow = Flow.objects.create(
        integration=integration,
        name="contacts",
        source=source,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactCreate", "ContactUpdate"]},
        max_attempts=3,
    )
    Step.objects.create(
        flow=flow,
        key="push",
        connection=target,
        operation="create-contact",
        update_operation="update-contact",
        record_mode=Step.RecordMode.SYNC,
        source_id_path="trigger.id",
        result_id_path="contact.id",
        target_id_param="contactId",
        mapping=MAPPING,
    )
    return {"flow": flow, "source": source, "target": target, "base": ghl_sandbox.url}


class Queue(list):
    def __call__(self, run_id, countdown=0):
        self.append((run_id, countdown))


def payload(**extra):
    return {
        "type": "ContactCreate",
        "id": "src-1",
        "firstName": " Ada ",
        "lastName": "Lovelace",
        "email": "ADA@example.com",
        "tags": ["vip"],
        **extra,
    }


def run_once(flow, body, queue=None, **kw):
    run = dispatch.create_run(flow, body, trigger="webhook", **kw)
    status = engine.execute(run.pk, queue if queue is not None else Queue())
    run.refresh_from_db()
    return run, status


def target_contact(setup, contact_id):
    conn = setup["target"]
    return conn.connector.call("get-contact", contactId=contact_id)["contact"]


def test_create_then_unchanged_then_update(setup):
    run, status = run_once(setup["flow"], payload())
    assert status == RunStatus.SUCCEEDED, run.error
    link = RecordLink.objects.get()
    contact = target_contact(setup, link.right_record)
    assert contact["email"] == "ada@example.com" and contact["firstName"] == "Ada"
    steps = list(run.steps.all())
    assert [(s.method, s.operation) for s in steps] == [("POST", "create-contact")]
    assert steps[0].response_status == 201
    assert "Bearer" not in str(steps[0].request_headers)
    assert any("created contact" in e.message for e in run.events.all())

    # The same event again: no write at all.
    again, status = run_once(setup["flow"], payload())
    assert status == RunStatus.SKIPPED
    assert again.steps.count() == 0
    assert "unchanged" in " ".join(e.message for e in again.events.all())

    # A real change: one update of the linked record, no duplicate.
    changed, status = run_once(setup["flow"], payload(lastName="Byron"))
    assert status == RunStatus.SUCCEEDED
    assert [(s.method, s.operation) for s in changed.steps.all()] == [("PUT", "update-contact")]
    assert target_contact(setup, link.right_record)["lastName"] == "Byron"
    assert RecordLink.objects.count() == 1


def test_dedupe_key_makes_one_run(setup):
    first = dispatch.create_run(setup["flow"], payload(), trigger="webhook", dedupe_key="event:1")
    second = dispatch.create_run(setup["flow"], payload(), trigger="webhook", dedupe_key="event:1")
    assert first is not None and second is None
    assert Run.objects.count() == 1


def test_missing_mapped_field_fails_readably(setup):
    run, status = run_once(setup["flow"], payload(email=""))
    assert status == RunStatus.FAILED
    assert run.error_kind == "validation"
    assert "required field 'email'" in run.error
    assert run.error_hint


def test_permanent_error_fails_at_once_with_the_apps_words(setup):
    run, status = run_once(setup["flow"], payload(email="not-an-email"))
    assert status == RunStatus.FAILED, run.error
    assert run.attempt == 1
    assert "422" in run.error and "email" in run.error


def test_transient_error_retries_with_backoff(setup, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 0.01
    base = setup["base"] + "/sandbox/ghl/_control/faults"
    requests.post(base, json={"error_rate": 1.0}, timeout=5)
    queue = Queue()
    try:
        run, status = run_once(setup["flow"], payload(), queue)
        assert status == RunStatus.RETRYING
        assert run.attempt == 1 and run.error_kind == "transient"
        assert queue and queue[0][0] == run.pk
    finally:
        requests.post(base, json={"error_rate": 0.0}, timeout=5)
    Run.objects.filter(pk=run.pk).update(next_attempt_at=timezone.now())
    assert engine.execute(run.pk, queue) == RunStatus.SUCCEEDED
    run.refresh_from_db()
    assert run.attempt == 2
    attempts = sorted({s.attempt for s in run.steps.all()})
    assert attempts == [1, 2]  # the failed call of attempt 1 is kept


def test_gives_up_after_max_attempts(setup, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 0.01
    settings.BREAKER_THRESHOLD = 100
    base = setup["base"] + "/sandbox/ghl/_control/faults"
    requests.post(base, json={"error_rate": 1.0}, timeout=5)
    queue = Queue()
    try:
        run = dispatch.create_run(setup["flow"], payload(), trigger="webhook")
        for _ in range(3):
            Run.objects.filter(pk=run.pk).update(next_attempt_at=None)
            status = engine.execute(run.pk, queue)
    finally:
        requests.post(base, json={"error_rate": 0.0}, timeout=5)
    run.refresh_from_db()
    assert status == RunStatus.FAILED and run.attempt == 3
    assert "Gave up after 3 attempts" in " ".join(e.message for e in run.events.all())


def test_circuit_breaker_holds_calls_without_spending_attempts(setup, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 0.01
    settings.BREAKER_THRESHOLD = 2
    settings.BREAKER_COOLDOWN_SECONDS = 30
    base = setup["base"] + "/sandbox/ghl/_control/faults"
    requests.post(base, json={"error_rate": 1.0}, timeout=5)
    try:
        for _ in range(2):
            run_once(setup["flow"], payload(id=f"x{_}"))
        target = setup["target"]
        target.refresh_from_db()
        assert target.breaker_open_until is not None
        run, status = run_once(setup["flow"], payload(id="held"))
        assert status == RunStatus.RETRYING
        assert run.attempt == 0  # waiting does not burn an attempt
        assert run.steps.count() == 0  # and no call was made
        assert "circuit breaker" in run.error
    finally:
        requests.post(base, json={"error_rate": 0.0}, timeout=5)


def test_reaper_requeues_a_run_whose_worker_died(setup):
    run = dispatch.create_run(setup["flow"], payload(), trigger="webhook")
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, lease_until=timezone.now() - timedelta(seconds=1), attempt=1
    )
    queue = Queue()
    assert reaper.reap(queue) == 1
    assert queue == [(run.pk, 0)]
    assert engine.execute(run.pk, queue) == RunStatus.SUCCEEDED


def test_paused_integration_holds_runs(setup):
    flow = setup["flow"]
    flow.integration.status = "paused"
    flow.integration.save()
    run = dispatch.create_run(flow, payload(), trigger="webhook")
    assert engine.execute(run.pk, Queue()) is None
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_an_operators_retry_probes_an_open_breaker(setup, settings):
    from datetime import timedelta as _td

    from integrations.models import Connection

    Connection.objects.filter(pk=setup["target"].pk).update(
        breaker_failures=5, breaker_open_until=timezone.now() + _td(seconds=60)
    )
    held, status = run_once(setup["flow"], payload(id="held-2"))
    assert status == RunStatus.RETRYING and held.steps.count() == 0
    run = dispatch.create_run(setup["flow"], payload(id="probe"), trigger="retry")
    assert engine.execute(run.pk, Queue()) == RunStatus.SUCCEEDED
    target = Connection.objects.get(pk=setup["target"].pk)
    assert target.breaker_open_until is None and target.breaker_failures == 0


def test_the_echo_of_a_create_not_yet_linked_waits_for_the_link(setup, monkeypatch):
    """B's webhook about the contact we are creating in B can arrive before our run has
    linked it; the B → A run must then wait for that link, not create the contact's twin
    back in A."""
    import threading

    from integrations import locks
    from integrations.sync import links

    source, target = setup["source"], setup["target"]
    back = Flow.objects.create(
        integration=setup["flow"].integration,
        name="contacts back",
        source=target,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactCreate", "ContactUpdate"]},
    )
    step = setup["flow"].steps.get()
    Step.objects.create(
        flow=back,
        key="push",
        connection=source,
        operation=step.operation,
        update_operation=step.update_operation,
        record_mode=Step.RecordMode.SYNC,
        source_id_path="trigger.id",
        result_id_path="contact.id",
        target_id_param="contactId",
        mapping=MAPPING,
    )
    made = [
        conn.connector.call(
            "create-contact", body={"firstName": "Ada", "email": "ada@example.com"}
        )["contact"]["id"]
        for conn in (source, target)
    ]
    looked = threading.Event()
    real = locks._flights

    def flights(name):  # the waiter has seen what is in flight
        found = real(name)
        looked.set()
        return found

    monkeypatch.setattr(locks, "_flights", flights)
    outcome = {}
    with links.creating("contact", target):  # our A → B create, not linked yet
        echo = threading.Thread(
            target=lambda: outcome.update(
                zip(("run", "status"), run_once(back, payload(id=made[1])), strict=True)
            )
        )
        echo.start()
        assert looked.wait(10), "the B → A run never looked at the creates in flight"
        RecordLink.objects.create(
            workspace=source.workspace,
            object_type="contact",
            left=source,
            left_record=made[0],
            right=target,
            right_record=made[1],
            written_side="right",
        )
    echo.join(30)
    run = outcome["run"]
    assert outcome["status"] in (RunStatus.SUCCEEDED, RunStatus.SKIPPED), run.error
    # It went to the contact it is linked to; it created nothing in A.
    assert "create-contact" not in [s.operation for s in run.steps.all()]
    assert RecordLink.objects.count() == 1
    found = source.connector.call("get-duplicate-contact", email="ada@example.com")
    assert found["contact"]["id"] == made[0]


def test_flights_waits_only_for_work_running_when_it_looked():
    import threading

    from integrations import locks

    assert locks.wait_for_flights("nothing", wait=1) is False
    started, finish = threading.Event(), threading.Event()

    def hold():
        with locks.in_flight("work", ttl=30):
            started.set()
            finish.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    started.wait(10)
    try:
        with pytest.raises(locks.LockTimeout):
            locks.wait_for_flights("work", wait=0.1)
    finally:
        finish.set()
        holder.join(10)
    assert locks.wait_for_flights("work", wait=1) is False
