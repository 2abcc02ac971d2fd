"""Two-way sync without silent overwrites, end to end with a real worker over both sandboxes.

The demo two-way integration (wizard templates, published). To make "changed in both apps
since the last sync" certain, the integration is paused while both apps are edited (their
webhooks still arrive and their runs wait), then resumed: both runs see both changes.
"""

from __future__ import annotations

import pytest
from django.test import Client

from integrations import lifecycle
from integrations.models import (
    Conflict,
    ConflictStatus,
    LedgerEntry,
    Policy,
    RecordLink,
    Run,
    RunStatus,
    SyncPolicy,
)
from tests.integrations.test_related_records import FINISHED, log_of, world  # noqa: F401
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def quiet() -> bool:
    return Run.objects.exists() and not Run.objects.exclude(status__in=FINISHED).exists()


def both(w, ghl_field: str, app_field: str) -> tuple:  # type: ignore[no-untyped-def]
    ghl, app, contact = w["ghl"], w["app"], w["contact"]
    in_ghl = ghl.connector.call("get-contact", contactId=contact["id"])["contact"].get(ghl_field)
    in_app = app.contact_by_email(contact["email"]) or {}
    return in_ghl, in_app.get(app_field)


def edit_both(w, ghl_body: dict, app_body: dict) -> None:  # type: ignore[no-untyped-def]
    """Edit the contact in both apps while the integration waits, then let both runs go."""
    ghl, app, contact = w["ghl"], w["app"], w["contact"]
    integration = w["integration"]
    app_id = app.contact_by_email(contact["email"])["id"]
    mark = Run.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    lifecycle.pause(integration, None)
    ghl.connector.call("update-contact", contactId=contact["id"], body=ghl_body)
    app.send("PATCH", f"/contacts/{app_id}", app_body)
    wait_for(
        lambda: (
            Run.objects.filter(pk__gt=mark, event_type="ContactUpdate").exists()
            and Run.objects.filter(pk__gt=mark, event_type="contact.updated").exists()
        ),
        what="both apps' events, waiting while paused",
    )
    lifecycle.resume(integration, None)


def linked(w) -> RecordLink:  # type: ignore[no-untyped-def]
    ghl, contact = w["ghl"], w["contact"]
    ghl.connector.call("update-contact", contactId=contact["id"], body={"companyName": "Start Co"})
    wait_for(lambda: both(w, "companyName", "company")[1] == "Start Co", what="first sync")
    wait_for(
        lambda: quiet() and Run.objects.filter(flow__source__kind="rest").exists(),
        what="the echo of the first sync",
    )
    return RecordLink.objects.get(object_type="contact", left_record=contact["id"])


def test_both_changed_under_each_policy_then_resolved_in_the_ui_and_in_bulk(world, operator):  # noqa: F811
    integration = world["integration"]
    link = linked(world)
    assert (link.synced_values.get("fields") or {}).get("phone"), link.synced_values
    SyncPolicy.objects.create(
        integration=integration,
        default=Policy.ASK,
        fields={
            "phone": {"policy": "ghl"},
            "companyName": {"policy": "other"},
            "lastName": {"policy": "newest"},
        },
    )

    # The same four fields changed in both apps (Your App last): one policy each.
    edit_both(
        world,
        {
            "phone": "+15125550111",
            "companyName": "Ghl Co",
            "lastName": "Ghlson",
            "firstName": "Gina",
        },
        {
            "phone": "+15125550122",
            "company": "App Co",
            "last_name": "Appleton",
            "first_name": "Anna",
        },
    )
    wait_for(
        lambda: (
            both(world, "phone", "phone") == ("+15125550111", "+15125550111")
            and both(world, "companyName", "company") == ("App Co", "App Co")
            and both(world, "lastName", "last_name") == ("Appleton", "Appleton")
            and Conflict.objects.filter(status=ConflictStatus.OPEN).exists()
        ),
        what="each policy applied in both apps",
    )
    wait_for(quiet, what="the echoes")
    assert both(world, "firstName", "first_name") == ("Gina", "Anna")  # asked: nobody wins yet
    settled = {c.field: c for c in Conflict.objects.filter(status=ConflictStatus.AUTO)}
    assert set(settled) == {"phone", "companyName", "lastName"}, settled
    ghl_side = "left" if link.left.kind == "ghl" else "right"
    app_side = "right" if ghl_side == "left" else "left"
    assert settled["phone"].winner == ghl_side and settled["phone"].policy == Policy.GHL
    assert settled["companyName"].winner == app_side
    assert settled["lastName"].winner == app_side and settled["lastName"].policy == Policy.NEWEST
    (waiting,) = Conflict.objects.filter(status=ConflictStatus.OPEN)
    assert waiting.field == "firstName"
    assert {waiting.left_value, waiting.right_value} == {"Gina", "Anna"}
    assert waiting.left_run_id and waiting.right_run_id

    # Different fields changed in each app: both kept, no conflict.
    before = Conflict.objects.count()
    edit_both(world, {"phone": "+15125550133"}, {"company": "Both Kept Inc"})
    wait_for(
        lambda: (
            both(world, "phone", "phone") == ("+15125550133", "+15125550133")
            and both(world, "companyName", "company") == ("Both Kept Inc", "Both Kept Inc")
        ),
        what="both changes in both apps",
    )
    wait_for(quiet, what="the echoes")
    assert Conflict.objects.count() == before

    # Resolved in the UI with a typed value: written to both apps by a normal run.
    client = Client()
    client.force_login(operator)
    page = client.get("/conflicts/")
    assert page.status_code == 200 and "Gina" in page.text and "Anna" in page.text
    answer = client.post(f"/conflicts/{waiting.pk}/resolve/", {"side": "value", "value": "Grace"})
    assert answer.status_code == 302
    wait_for(
        lambda: both(world, "firstName", "first_name") == ("Grace", "Grace"),
        what="the typed value in both apps",
    )
    waiting.refresh_from_db()
    wait_for(quiet, what="the echoes of the resolution")
    waiting.refresh_from_db()
    assert waiting.status == ConflictStatus.RESOLVED and waiting.resolved_by == operator
    assert waiting.resolution_run.status == RunStatus.SUCCEEDED, log_of(waiting.resolution_run)
    assert not Conflict.objects.filter(status=ConflictStatus.OPEN).exists()

    # Bulk: "HighLevel wins for all firstName conflicts of this integration".
    edit_both(world, {"firstName": "Greta"}, {"first_name": "Alma"})
    wait_for(
        lambda: Conflict.objects.filter(status=ConflictStatus.OPEN, field="firstName").exists(),
        what="a new firstName conflict",
    )
    answer = client.post(
        "/conflicts/bulk/",
        {"integration": str(integration.code), "field": "firstName", "side": "ghl"},
    )
    assert answer.status_code == 302
    wait_for(
        lambda: both(world, "firstName", "first_name") == ("Greta", "Greta"),
        what="HighLevel's value in both apps",
    )
    wait_for(quiet, what="the echoes of the bulk resolution")
    assert not Conflict.objects.filter(status=ConflictStatus.OPEN).exists()

    # The record page: every run that wrote the record is on its timeline, with its changes.
    page = client.get(f"/records/{link.pk}/")
    assert page.status_code == 200
    writers = set(LedgerEntry.objects.filter(link=link).values_list("run__code", flat=True))
    assert len(writers) >= 5
    for code in writers:
        assert str(code) in page.text
    readers = Run.objects.filter(record_id__in=[link.left_record, link.right_record])
    for run in readers.filter(flow__object_type="contact"):
        assert str(run.code) in page.text
    assert "Grace" in page.text and "Greta" in page.text and "Appleton" in page.text
    found = client.get("/records/", {"q": world["contact"]["email"]})
    assert f"/records/{link.pk}/" in found.text
