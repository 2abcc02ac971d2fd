"""Bulk writes are never a surprise: deleting flows are event-only, a bulk run shows what it
will do before anything is queued, and a deleted record's link stops claiming it exists.
Over real HTTP against both sandboxes."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from integrations import bulk, demo, lifecycle
from integrations.models import Flow, PollCursor, RecordLink, Run, Step, TriggerKind
from integrations.sync import dispatch, polling
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flows(ghl_sandbox, workspace):
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    ghl = pit_connection(workspace)
    yourapp = demo.yourapp_connection(workspace, base)
    integration = demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    create = integration.flows.get(name__startswith="New or updated")
    delete = integration.flows.get(name__startswith="Deleted")
    return create, delete, base


def yourapp_contacts(base: str) -> int:
    return requests.get(base + "/sandbox/yourapp/_control/stats", timeout=10).json()["contacts"]


def synced(create, owner) -> int:
    backfill = lifecycle.start_backfill(create, owner)  # runs execute eagerly in tests
    assert backfill.total >= 50
    assert set(backfill.runs.values_list("status", flat=True)) == {"succeeded"}
    return backfill.total


def test_run_now_refuses_a_deleting_flow(flows, owner):
    create, delete, base = flows
    total = synced(create, owner)
    with pytest.raises(bulk.BulkRefused, match="deletes records"):
        lifecycle.run_now(delete, owner)
    with pytest.raises(bulk.BulkRefused):
        lifecycle.start_backfill(delete, owner)
    assert yourapp_contacts(base) == total
    assert not Run.objects.filter(flow=delete).exists()
    assert RecordLink.objects.filter(deleted_at__isnull=True).count() == total


def test_polling_never_runs_a_deleting_step(flows, owner):
    create, delete, base = flows
    total = synced(create, owner)
    delete.trigger_kind = TriggerKind.POLL
    delete.trigger_config = {"operation": "search-contacts-advanced", "interval_minutes": 5}
    delete.save()
    assert polling.poll(delete.pk) == 0
    assert "deletion events" in PollCursor.objects.get(flow=delete).last_error
    assert yourapp_contacts(base) == total


def test_a_plain_delete_action_counts_as_deleting(flows, owner):
    create, delete, _ = flows
    Step.objects.filter(flow=delete).update(record_mode="", operation="contact.delete")
    assert [s.key for s in bulk.destructive_steps(delete)] == ["delete"]
    assert bulk.destructive_steps(create) == []


def test_preview_counts_creates_updates_and_unchanged(flows, owner):
    create, _, base = flows
    first = bulk.preview(create)
    assert first.error == "" and first.records >= 50
    assert [(line.operation, line.action, line.count) for line in first.lines] == [
        ("contact.create", "create", first.records)
    ]
    total = synced(create, owner)
    # One contact changes in GHL: one update, the rest need no write.
    contact_id = RecordLink.objects.order_by("pk").first().left_record
    create.source.connector.call("update-contact", contactId=contact_id, body={"lastName": "Z"})
    second = bulk.preview(create)
    assert {(line.operation, line.action): line.count for line in second.lines} == {
        ("contact.update", "update"): 1,
        ("no write", "unchanged"): total - 1,
    }
    assert second.writes == 1
    assert not Run.objects.exclude(backfill__isnull=False).exists()  # preview queued nothing


def test_run_now_page_shows_the_preview_and_needs_a_confirmation(client, operator, flows):
    create, delete, base = flows
    client.force_login(operator)
    url = reverse("dashboard:flow_run_now", args=[create.code])
    page = client.get(url).content.decode()
    assert 'id="confirm-run-now"' in page and "contact.create" in page
    # A POST without the confirmation queues nothing.
    response = client.post(url)
    assert response.status_code == 400 and not Run.objects.exists()
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert "runs queued." in response.content.decode()
    total = Run.objects.filter(flow=create).count()
    assert total >= 50 and yourapp_contacts(base) == total

    url = reverse("dashboard:flow_run_now", args=[delete.code])
    page = client.get(url).content.decode()
    assert 'id="run-now-refused"' in page and 'id="confirm-run-now"' not in page
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert "deletes records" in response.content.decode()
    assert yourapp_contacts(base) == total and not Run.objects.filter(flow=delete).exists()
    assert "on deletion events only" in client.get("/").content.decode()


def deleted_event(flow: Flow, contact_id: str) -> Run:
    return dispatch.create_run(
        flow,
        {"type": "ContactDelete", "id": contact_id},
        trigger="webhook",
        event_type="ContactDelete",
        dedupe_key=f"test-delete:{contact_id}",
    )


def test_a_deletion_leaves_a_tombstone_and_a_later_create_restores(flows, owner):
    create, delete, base = flows
    total = synced(create, owner)
    link = RecordLink.objects.order_by("pk").first()
    run = deleted_event(delete, link.left_record)
    run.refresh_from_db()
    assert run.status == "succeeded"
    link.refresh_from_db()
    assert link.deleted_at is not None and link.last_run_id == run.pk
    assert yourapp_contacts(base) == total - 1
    # The record is not "unchanged" any more: the next sync of it writes it again.
    assert {(line.action, line.count) for line in bulk.preview(create).lines} == {
        ("create", 1),
        ("unchanged", total - 1),
    }
    again = lifecycle.start_backfill(create, owner)
    assert sorted(again.runs.values_list("status", flat=True)).count("succeeded") == 1
    assert yourapp_contacts(base) == total
    restored = RecordLink.objects.get(pk=link.pk)  # the same row, alive again
    assert restored.deleted_at is None and restored.right_record != link.right_record


def test_deleting_what_is_already_gone_succeeds(flows, owner):
    create, delete, base = flows
    synced(create, owner)
    link = RecordLink.objects.order_by("pk").first()
    key = demo.YOURAPP_API_KEY
    gone = requests.delete(
        f"{base}/sandbox/yourapp/api/contacts/{link.right_record}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert gone.status_code in (200, 204)
    run = deleted_event(delete, link.left_record)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert "already gone" in " ".join(run.events.values_list("message", flat=True))
    link.refresh_from_db()
    assert link.deleted_at is not None
