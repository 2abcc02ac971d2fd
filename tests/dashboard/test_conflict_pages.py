"""The conflict queue, conflict policy and record pages: who may see and do what.

Data is made directly (the end-to-end behaviour over the sandboxes is in
tests/integrations/test_conflicts.py): runs are not sent to a broker here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from integrations import retention
from integrations.models import (
    Conflict,
    ConflictStatus,
    Connection,
    Flow,
    Integration,
    LedgerEntry,
    Policy,
    RecordLink,
    Run,
    RunStatus,
    Step,
    SyncPolicy,
    TriggerKind,
)
from integrations.sync import dispatch, ledger

pytestmark = pytest.mark.django_db


def make_queue(workspace) -> dict:  # type: ignore[no-untyped-def]
    """A GHL ↔ Your App contact integration with one linked contact, its history and an
    open phone conflict."""
    ghl = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    ghl.credentials = {"pit": "x" * 20}
    ghl.save()
    app = Connection(workspace=workspace, kind="rest", auth_method="api_key", label="Your App")
    app.credentials = {"api_key": "y" * 20}
    app.save()
    integration = Integration.objects.create(workspace=workspace, name="GHL ↔ Your App")
    out = Flow.objects.create(
        integration=integration,
        name="HighLevel contact → Your App",
        source=ghl,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactUpdate"]},
    )
    Step.objects.create(
        flow=out,
        key="push",
        connection=app,
        operation="contact.create",
        update_operation="contact.update",
        record_mode=Step.RecordMode.SYNC,
        mapping=[{"target": "phone", "source": "trigger.phone"}],
    )
    back = Flow.objects.create(
        integration=integration,
        name="Your App contact → HighLevel",
        source=app,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["contact.updated"]},
    )
    Step.objects.create(
        flow=back,
        key="upsert",
        connection=ghl,
        operation="upsert-contact",
        update_operation="update-contact",
        record_mode=Step.RecordMode.SYNC,
        target_id_param="contactId",
        mapping=[{"target": "phone", "source": "trigger.phone"}],
    )
    now = timezone.now()
    created = Run.objects.create(
        workspace=workspace,
        flow=out,
        status=RunStatus.SUCCEEDED,
        trigger="webhook",
        event_type="ContactCreate",
        record_id="ghl-c1",
        record_label="Ada Lovelace <ada@example.com>",
        attempt=1,
    )
    seen = Run.objects.create(
        workspace=workspace,
        flow=out,
        status=RunStatus.SKIPPED,
        trigger="webhook",
        event_type="ContactUpdate",
        record_id="ghl-c1",
        record_label="Ada Lovelace <ada@example.com>",
        attempt=1,
    )
    link = RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=ghl,
        left_record="ghl-c1",
        right=app,
        right_record="ya_c1",
        label="Ada Lovelace <ada@example.com>",
        last_synced_at=now,
        last_run=created,
        synced_values={"fields": {"phone": {"left": "+15125550100", "right": "+15125550100"}}},
    )
    ledger.write(
        created,
        link,
        "created",
        app,
        "ya_c1",
        {"first_name": [None, "Ada"], "phone": [None, "+15125550100"]},
    )
    conflict = Conflict.objects.create(
        workspace=workspace,
        integration=integration,
        link=link,
        field="phone",
        left_field="phone",
        right_field="phone",
        base_value={"left": "+15125550100", "right": "+15125550100"},
        left_value="+15125550111",
        right_value="+15125550122",
        left_changed_at=now - timedelta(minutes=3),
        right_changed_at=now - timedelta(minutes=1),
        left_run=seen,
        right_run=seen,
        policy=Policy.ASK,
    )
    LedgerEntry.objects.create(
        workspace=workspace,
        link=link,
        run=seen,
        kind="conflict",
        changes={"phone": ["+15125550111", "+15125550122"]},
        note="phone changed in both apps; waiting in the conflict queue",
    )
    return {
        "integration": integration,
        "link": link,
        "conflict": conflict,
        "runs": [created, seen],
        "ghl": ghl,
        "app": app,
    }


@pytest.fixture
def queue(workspace, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)
    return make_queue(workspace)


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_viewer_sees_the_queue_and_the_record_page(viewer, queue):
    echo = Run.objects.create(
        workspace=queue["link"].workspace,
        flow=queue["runs"][0].flow,
        status=RunStatus.SKIPPED,
        trigger="webhook",
        event_type="ContactUpdate",
        record_id="ghl-c1",
        attempt=1,
    )
    client = client_for(viewer)
    page = client.get("/conflicts/")
    assert page.status_code == 200
    assert "+15125550111" in page.text and "+15125550122" in page.text
    assert "resolve-form" not in page.text  # a viewer cannot resolve
    record = client.get(f"/records/{queue['link'].pk}/")
    assert record.status_code == 200
    for run in [*queue["runs"], echo]:
        assert str(run.code) in record.text
    assert "read it; nothing written" in record.text  # the echo only read it
    assert "waiting in the conflict queue" in record.text and "+15125550100" in record.text
    found = client.get("/records/", {"q": "ada@example.com"})
    assert f"/records/{queue['link'].pk}/" in found.text
    assert f"/records/{queue['link'].pk}/" in client.get("/records/", {"q": "ya_c1"}).text
    from integrations import runs as run_actions

    failed = Run.objects.create(
        workspace=queue["link"].workspace,
        flow=queue["runs"][0].flow,
        status=RunStatus.FAILED,
        record_id="ghl-c1",
        payload={"id": "ghl-c1", "email": "ada@example.com"},
        error="HighLevel timed out",
    )
    retry = run_actions.retry(failed, viewer)
    record = client.get(f"/records/{queue['link'].pk}/").text
    assert str(retry.code) in record and "retry of" in record and "by viewer" in record
    overview = client.get("/")
    assert "1 in conflict" in overview.text and 'id="nav-conflicts"' in overview.text


def test_viewer_may_not_resolve_or_set_the_policy(viewer, queue):
    client = client_for(viewer)
    pk = queue["conflict"].pk
    assert client.post(f"/conflicts/{pk}/resolve/", {"side": "ghl"}).status_code == 403
    body = {"integration": str(queue["integration"].code), "field": "phone", "side": "ghl"}
    assert client.post("/conflicts/bulk/", body).status_code == 403
    code = queue["integration"].code
    assert client.get(f"/integrations/{code}/sync-policy/").status_code == 403
    queue["conflict"].refresh_from_db()
    assert queue["conflict"].resolution_run is None


def test_outsider_gets_404(outsider, queue):
    client = client_for(outsider)
    assert client.get(f"/records/{queue['link'].pk}/").status_code == 404
    pk = queue["conflict"].pk
    assert client.post(f"/conflicts/{pk}/resolve/", {"side": "ghl"}).status_code == 404
    body = {"integration": str(queue["integration"].code), "field": "phone", "side": "ghl"}
    assert client.post("/conflicts/bulk/", body).status_code == 404
    code = queue["integration"].code
    assert client.get(f"/integrations/{code}/sync-policy/").status_code == 404
    assert "+15125550111" not in client.get("/conflicts/").text


def test_operator_resolves_one_conflict_through_a_run(operator, queue):
    client = client_for(operator)
    pk = queue["conflict"].pk
    answer = client.post(f"/conflicts/{pk}/resolve/", {"side": "value", "value": ""})
    assert answer.status_code == 302  # an empty typed value is refused
    assert Conflict.objects.get(pk=pk).resolution_run is None
    client.post(f"/conflicts/{pk}/resolve/", {"side": "ghl"})
    conflict = Conflict.objects.get(pk=pk)
    run = conflict.resolution_run
    assert run is not None and run.trigger == "resolve" and run.status == RunStatus.QUEUED
    assert conflict.winner == "left" and conflict.resolved_value == "+15125550111"
    assert conflict.resolved_by == operator and conflict.status == ConflictStatus.OPEN
    # A second click does not queue a second run.
    client.post(f"/conflicts/{pk}/resolve/", {"side": "other"})
    assert Run.objects.filter(trigger="resolve").count() == 1


def test_bulk_resolve_takes_every_conflict_of_the_field(operator, queue):
    second = RecordLink.objects.create(
        workspace=queue["link"].workspace,
        object_type="contact",
        left=queue["ghl"],
        left_record="ghl-c2",
        right=queue["app"],
        right_record="ya_c2",
    )
    Conflict.objects.create(
        workspace=second.workspace,
        integration=queue["integration"],
        link=second,
        field="phone",
        left_field="phone",
        right_field="phone",
        left_value="1",
        right_value="2",
        policy=Policy.ASK,
    )
    client = client_for(operator)
    body = {"integration": str(queue["integration"].code), "field": "phone", "side": "other"}
    assert client.post("/conflicts/bulk/", body).status_code == 302
    chosen = Conflict.objects.filter(field="phone")
    assert all(c.winner == "right" and c.resolution_run_id for c in chosen)
    assert Run.objects.filter(trigger="resolve").count() == 2


def test_owner_sets_the_policy_per_field(owner, queue):
    client = client_for(owner)
    url = f"/integrations/{queue['integration'].code}/sync-policy/"
    bad = client.post(url, {"default": "ask", "fields": "phone = sometimes"})
    assert bad.status_code == 200 and "unknown policy" in bad.text
    client.post(url, {"default": "newest", "fields": "phone = ask\ntags = ghl, from_ghl"})
    policy = SyncPolicy.objects.get(integration=queue["integration"])
    assert policy.default == "newest"
    assert policy.policy_for("phone") == "ask" and policy.direction_for("tags") == "from_ghl"
    assert policy.policy_for("email") == "newest" and policy.direction_for("email") == "both"
    assert "phone = ask" in client.get(url).text


def test_ledger_retention(settings, queue):
    settings.LEDGER_RETENTION_DAYS = 30
    LedgerEntry.objects.update(created=timezone.now() - timedelta(days=31))
    LedgerEntry.objects.create(
        workspace=queue["link"].workspace, link=queue["link"], kind="updated"
    )
    assert retention.prune().ledger_entries == 2
    assert LedgerEntry.objects.count() == 1
    settings.LEDGER_RETENTION_DAYS = 0  # keeps everything
    LedgerEntry.objects.update(created=timezone.now() - timedelta(days=3650))
    assert retention.prune().ledger_entries == 0
    assert LedgerEntry.objects.count() == 1


def test_conflicts_alert_opens_and_recovers(queue, settings):
    from integrations.alerts import evaluate
    from integrations.models import AlertIncident, AlertRule

    rule = AlertRule.objects.create(
        workspace=queue["link"].workspace, kind=AlertRule.Kind.CONFLICTS, target="ops@example.com"
    )
    sent: list[int] = []
    evaluate.evaluate_workspace(rule.workspace_id, sent.append)
    incident = AlertIncident.objects.get(rule=rule)
    assert incident.resolved is None and "GHL ↔ Your App" in incident.summary
    assert "1 field changed in both apps" in incident.notifications.get().body
    Conflict.objects.update(status=ConflictStatus.RESOLVED)
    evaluate.evaluate_workspace(rule.workspace_id, sent.append)
    incident.refresh_from_db()
    assert incident.resolved is not None and incident.notifications.count() == 2


def test_replay_page_roles(viewer, outsider, operator, queue):
    flow = queue["runs"][0].flow
    url = f"/flows/{flow.code}/replay/"
    assert client_for(viewer).get(url).status_code == 403
    assert client_for(viewer).post(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).post(url).status_code == 404
    page = client_for(operator).get(url, {"limit": "0"})
    assert page.status_code == 200 and "No failure to replay" in page.text


def test_sync_health_counts_and_lists(operator, queue):
    from integrations.models import RunEvent
    from integrations.sync import synchealth

    workspace = queue["link"].workspace
    flow = queue["runs"][0].flow
    fine = RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=queue["ghl"],
        left_record="ghl-ok",
        right=queue["app"],
        right_record="ya_ok",
        label="Fine Person",
    )
    RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=queue["ghl"],
        left_record="ghl-bad",
        right=queue["app"],
        right_record="ya_bad",
        label="Failing Person",
    )
    Run.objects.create(
        workspace=workspace, flow=flow, status=RunStatus.FAILED, record_id="ghl-bad", error="x"
    )
    excluded = Run.objects.create(
        workspace=workspace, flow=flow, status=RunStatus.SKIPPED, record_id="ghl-filtered"
    )
    RunEvent.objects.create(run=excluded, message="push: its condition (trigger.vip) is not met")
    assert synchealth.counts(queue["integration"]) == {
        "in_sync": 1,
        "in_conflict": 1,
        "failing": 1,
        "excluded": 1,
    }
    client = client_for(operator)
    code = queue["integration"].code
    in_sync = client.get("/records/", {"integration": str(code), "state": "in_sync"}).text
    assert f"/records/{fine.pk}/" in in_sync and "Failing Person" not in in_sync
    failing = client.get("/records/", {"integration": str(code), "state": "failing"}).text
    assert "Failing Person" in failing and "Fine Person" not in failing
    filtered = client.get("/records/", {"integration": str(code), "state": "excluded"}).text
    assert str(excluded.code) in filtered
    overview = client.get("/").text
    assert "1 in sync" in overview and "1 failing" in overview and "1 excluded" in overview
    # The record page is reachable from the run detail.
    detail = client.get(f"/runs/{queue['runs'][0].code}/").text
    assert f"/records/{queue['link'].pk}/" in detail
