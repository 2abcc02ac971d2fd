"""Every operation of the GHL contacts catalog, run through GHLConnector.call() against the
sandbox over real HTTP, with its response envelope and an observable effect checked.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.connectors.ghl.connector import GHLConnector, load_catalog

CATALOG = load_catalog()


def _email() -> str:
    return f"op-{uuid.uuid4().hex[:10]}@example.com"


def _due() -> str:
    return (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def new_contact(ghl: GHLConnector, **fields) -> dict:
    body = {"firstName": "Ada", "lastName": "Lovelace", "email": _email(), **fields}
    return ghl.call("create-contact", body=body)["contact"]


def gone(ghl: GHLConnector, op_id: str, **params) -> ConnectorError:
    with pytest.raises(ConnectorError) as info:
        ghl.call(op_id, **params)
    assert info.value.status == 404
    assert info.value.permanent is True
    assert info.value.kind == ErrorKind.PERMANENT
    return info.value


def new_task(ghl: GHLConnector, contact_id: str) -> dict:
    body = {"title": "Call back", "dueDate": _due(), "completed": False}
    return ghl.call("create-task", contactId=contact_id, body=body)["task"]


def new_note(ghl: GHLConnector, contact_id: str) -> dict:
    return ghl.call("create-note", contactId=contact_id, body={"body": "First note"})["note"]


def sandbox_ids(ghl: GHLConnector) -> dict:
    from sandbox.models import (
        SandboxAppointment,
        SandboxBusiness,
        SandboxCampaign,
        SandboxUser,
        SandboxWorkflow,
    )

    loc = ghl.connection.account_id
    return {
        "business": SandboxBusiness.objects.filter(location_id=loc).order_by("pk").first().pk,
        "campaign": SandboxCampaign.objects.filter(location_id=loc).order_by("pk").first().pk,
        "workflow": SandboxWorkflow.objects.filter(location_id=loc).order_by("pk").first().pk,
        "user": SandboxUser.objects.filter(location_id=loc).order_by("pk").first().pk,
        "appointment_contact": SandboxAppointment.objects.filter(location_id=loc)
        .order_by("pk")
        .first()
        .contact_id,
    }


# --- one scenario per operation ---------------------------------------------------------


def s_create_contact(ghl):
    contact = new_contact(ghl, phone="+14155550123")
    assert contact["id"] and contact["locationId"] == ghl.connection.account_id
    got = ghl.call("get-contact", contactId=contact["id"])["contact"]
    assert got["email"] == contact["email"]


def s_get_contact(ghl):
    contact = new_contact(ghl)
    got = ghl.call("get-contact", contactId=contact["id"])
    assert set(got) >= {"contact"}
    assert got["contact"]["id"] == contact["id"]
    assert got["contact"]["firstName"] == "Ada"


def s_get_location(ghl):
    got = ghl.call("get-location", locationId=ghl.connection.account_id)
    assert got["location"]["id"] == ghl.connection.account_id
    assert got["location"]["name"]


def s_get_custom_fields(ghl):
    got = ghl.call("get-custom-fields", locationId=ghl.connection.account_id, model="contact")
    assert got["customFields"], "the seeded location has custom fields"
    assert {"id", "name", "fieldKey", "dataType"} <= set(got["customFields"][0])
    names = ghl.custom_field_names("contact")
    assert names == {f["id"]: f["name"] for f in got["customFields"]}


def s_update_contact(ghl):
    contact = new_contact(ghl)
    data = ghl.call("update-contact", contactId=contact["id"], body={"firstName": "Grace"})
    assert data["contact"]["firstName"] == "Grace"
    assert ghl.call("get-contact", contactId=contact["id"])["contact"]["firstName"] == "Grace"


def s_delete_contact(ghl):
    contact = new_contact(ghl)
    data = ghl.call("delete-contact", contactId=contact["id"])
    assert data == {"succeded": True}  # (sic), as GHL spells it
    error = gone(ghl, "get-contact", contactId=contact["id"])
    assert "not found" in error.message.lower()


def s_upsert_contact(ghl):
    email = _email()
    first = ghl.call("upsert-contact", body={"email": email, "firstName": "Up"})
    assert first["new"] is True and first["contact"]["email"] == email
    again = ghl.call("upsert-contact", body={"email": email, "firstName": "Serted"})
    assert again["new"] is False and again["contact"]["id"] == first["contact"]["id"]
    got = ghl.call("get-contact", contactId=first["contact"]["id"])["contact"]
    assert got["firstName"] == "Serted"


def s_search_contacts_advanced(ghl):
    contact = new_contact(ghl, lastName="Zyxwvut")
    data = ghl.call(
        "search-contacts-advanced",
        body={"filters": [{"field": "lastName", "operator": "eq", "value": "Zyxwvut"}]},
    )
    assert data["total"] == 1
    assert [c["id"] for c in data["contacts"]] == [contact["id"]]
    assert len(data["contacts"][0]["searchAfter"]) == 2


def s_get_duplicate_contact(ghl):
    contact = new_contact(ghl, phone="+14155550199")
    by_email = ghl.call("get-duplicate-contact", email=contact["email"])
    assert by_email["contact"]["id"] == contact["id"]
    by_phone = ghl.call("get-duplicate-contact", number="+14155550199")  # "+" URL-encoded
    assert by_phone["contact"]["id"] == contact["id"]
    assert ghl.call("get-duplicate-contact", email=_email())["contact"] is None


def s_find_contact(ghl):
    contact = new_contact(ghl)
    found = ghl.call("find-contact", email=contact["email"].upper())
    assert found["contact"]["id"] == contact["id"]


def s_get_contacts(ghl):
    contact = new_contact(ghl, lastName="Qwertyuiop")
    data = ghl.call("get-contacts", query="Qwertyuiop", limit=10)
    assert [c["id"] for c in data["contacts"]] == [contact["id"]]
    assert "meta" not in data  # the spec's answer is {contacts, count}


def s_get_contacts_by_business_id(ghl):
    business = sandbox_ids(ghl)["business"]
    data = ghl.call("get-contacts-by-businessId", businessId=business, limit=25)
    assert data["contacts"] and all(c["businessId"] == business for c in data["contacts"])


def s_add_remove_contact_from_business(ghl):
    business = sandbox_ids(ghl)["business"]
    contact = new_contact(ghl)
    data = ghl.call(
        "add-remove-contact-from-business", body={"ids": [contact["id"]], "businessId": business}
    )
    assert data == {"success": True, "ids": [contact["id"]]}
    assert ghl.call("get-contact", contactId=contact["id"])["contact"]["businessId"] == business
    ghl.call("add-remove-contact-from-business", body={"ids": [contact["id"]], "businessId": None})
    assert "businessId" not in ghl.call("get-contact", contactId=contact["id"])["contact"]


def s_bulk_update_contact_tags(ghl):
    a, b = new_contact(ghl), new_contact(ghl)
    data = ghl.call(
        "bulk-update-contact-tags",
        type="add",
        body={"contacts": [a["id"], b["id"]], "tags": ["bulk-vip"]},
    )
    assert data["succeded"] is True and data["errorCount"] == 0
    assert len(data["responses"]) == 2
    assert "bulk-vip" in ghl.call("get-contact", contactId=b["id"])["contact"]["tags"]
    ghl.call(
        "bulk-update-contact-tags",
        type="remove",
        body={"contacts": [b["id"]], "tags": ["bulk-vip"]},
    )
    assert "bulk-vip" not in ghl.call("get-contact", contactId=b["id"])["contact"]["tags"]


def s_add_tags(ghl):
    contact = new_contact(ghl)
    data = ghl.call("add-tags", contactId=contact["id"], body={"tags": ["alpha", "beta"]})
    assert set(data["tags"]) >= {"alpha", "beta"}
    assert set(ghl.call("get-contact", contactId=contact["id"])["contact"]["tags"]) >= {
        "alpha",
        "beta",
    }


def s_remove_tags(ghl):
    contact = new_contact(ghl, tags=["alpha", "beta"])
    data = ghl.call("remove-tags", contactId=contact["id"], body={"tags": ["alpha"]})
    assert "alpha" not in data["tags"] and "beta" in data["tags"]
    assert "alpha" not in ghl.call("get-contact", contactId=contact["id"])["contact"]["tags"]


def s_add_followers_contact(ghl):
    user = sandbox_ids(ghl)["user"]
    contact = new_contact(ghl)
    data = ghl.call("add-followers-contact", contactId=contact["id"], body={"followers": [user]})
    assert data["followersAdded"] == [user] and user in data["followers"]
    from sandbox.models import SandboxFollower

    assert SandboxFollower.objects.filter(contact_id=contact["id"], user_id=user).exists()


def s_remove_followers_contact(ghl):
    user = sandbox_ids(ghl)["user"]
    contact = new_contact(ghl)
    ghl.call("add-followers-contact", contactId=contact["id"], body={"followers": [user]})
    data = ghl.call("remove-followers-contact", contactId=contact["id"], body={"followers": [user]})
    assert data["followersRemoved"] == [user] and data["followers"] == []


def _campaigns(contact_id):
    from sandbox.models import SandboxContact

    return set(SandboxContact.objects.get(pk=contact_id).campaigns.values_list("pk", flat=True))


def s_add_contact_to_campaign(ghl):
    campaign = sandbox_ids(ghl)["campaign"]
    contact = new_contact(ghl)
    data = ghl.call("add-contact-to-campaign", contactId=contact["id"], campaignId=campaign)
    assert data["succeded"] is True
    assert _campaigns(contact["id"]) == {campaign}
    with pytest.raises(ConnectorError) as info:
        ghl.call("add-contact-to-campaign", contactId=contact["id"], campaignId="nope")
    assert info.value.status == 404 and info.value.permanent


def s_remove_contact_from_campaign(ghl):
    campaign = sandbox_ids(ghl)["campaign"]
    contact = new_contact(ghl)
    ghl.call("add-contact-to-campaign", contactId=contact["id"], campaignId=campaign)
    data = ghl.call("remove-contact-from-campaign", contactId=contact["id"], campaignId=campaign)
    assert data["succeded"] is True
    assert _campaigns(contact["id"]) == set()


def s_remove_contact_from_every_campaign(ghl):
    campaign = sandbox_ids(ghl)["campaign"]
    contact = new_contact(ghl)
    ghl.call("add-contact-to-campaign", contactId=contact["id"], campaignId=campaign)
    data = ghl.call("remove-contact-from-every-campaign", contactId=contact["id"])
    assert data["succeded"] is True
    assert _campaigns(contact["id"]) == set()


def _workflows(contact_id):
    from sandbox.models import SandboxContact

    return set(SandboxContact.objects.get(pk=contact_id).workflows.values_list("pk", flat=True))


def s_add_contact_to_workflow(ghl):
    workflow = sandbox_ids(ghl)["workflow"]
    contact = new_contact(ghl)
    data = ghl.call(
        "add-contact-to-workflow",
        contactId=contact["id"],
        workflowId=workflow,
        body={"eventStartTime": _due()},
    )
    assert data["succeded"] is True
    assert _workflows(contact["id"]) == {workflow}


def s_delete_contact_from_workflow(ghl):
    workflow = sandbox_ids(ghl)["workflow"]
    contact = new_contact(ghl)
    ghl.call("add-contact-to-workflow", contactId=contact["id"], workflowId=workflow)
    data = ghl.call("delete-contact-from-workflow", contactId=contact["id"], workflowId=workflow)
    assert data["succeded"] is True
    assert _workflows(contact["id"]) == set()


def s_get_appointments_for_contact(ghl):
    contact_id = sandbox_ids(ghl)["appointment_contact"]
    data = ghl.call("get-appointments-for-contact", contactId=contact_id)
    assert data["events"] and all(e["id"] for e in data["events"])
    empty = ghl.call("get-appointments-for-contact", contactId=new_contact(ghl)["id"])
    assert empty == {"events": []}


def s_create_task(ghl):
    contact = new_contact(ghl)
    task = new_task(ghl, contact["id"])
    assert task["title"] == "Call back" and task["completed"] is False
    assert task["contactId"] == contact["id"]
    tasks = ghl.call("get-all-tasks", contactId=contact["id"])["tasks"]
    assert [t["id"] for t in tasks] == [task["id"]]


def s_get_all_tasks(ghl):
    contact = new_contact(ghl)
    assert ghl.call("get-all-tasks", contactId=contact["id"]) == {"tasks": []}
    new_task(ghl, contact["id"])
    new_task(ghl, contact["id"])
    assert len(ghl.call("get-all-tasks", contactId=contact["id"])["tasks"]) == 2


def s_get_task(ghl):
    contact = new_contact(ghl)
    task = new_task(ghl, contact["id"])
    got = ghl.call("get-task", contactId=contact["id"], taskId=task["id"])
    assert got["task"]["id"] == task["id"]


def s_update_task(ghl):
    contact = new_contact(ghl)
    task = new_task(ghl, contact["id"])
    data = ghl.call(
        "update-task", contactId=contact["id"], taskId=task["id"], body={"title": "Call again"}
    )
    assert data["task"]["title"] == "Call again"
    got = ghl.call("get-task", contactId=contact["id"], taskId=task["id"])["task"]
    assert got["title"] == "Call again"


def s_update_task_completed(ghl):
    contact = new_contact(ghl)
    task = new_task(ghl, contact["id"])
    data = ghl.call(
        "update-task-completed",
        contactId=contact["id"],
        taskId=task["id"],
        body={"completed": True},
    )
    assert data["task"]["completed"] is True
    got = ghl.call("get-task", contactId=contact["id"], taskId=task["id"])["task"]
    assert got["completed"] is True


def s_delete_task(ghl):
    contact = new_contact(ghl)
    task = new_task(ghl, contact["id"])
    assert ghl.call("delete-task", contactId=contact["id"], taskId=task["id"])["succeded"]
    gone(ghl, "get-task", contactId=contact["id"], taskId=task["id"])


def s_create_note(ghl):
    contact = new_contact(ghl)
    note = new_note(ghl, contact["id"])
    assert note["body"] == "First note" and note["contactId"] == contact["id"]
    notes = ghl.call("get-all-notes", contactId=contact["id"])["notes"]
    assert [n["id"] for n in notes] == [note["id"]]


def s_get_all_notes(ghl):
    contact = new_contact(ghl)
    assert ghl.call("get-all-notes", contactId=contact["id"]) == {"notes": []}
    new_note(ghl, contact["id"])
    assert len(ghl.call("get-all-notes", contactId=contact["id"])["notes"]) == 1


def s_get_note(ghl):
    contact = new_contact(ghl)
    note = new_note(ghl, contact["id"])
    assert ghl.call("get-note", contactId=contact["id"], id=note["id"])["note"]["id"] == note["id"]


def s_update_note(ghl):
    contact = new_contact(ghl)
    note = new_note(ghl, contact["id"])
    data = ghl.call("update-note", contactId=contact["id"], id=note["id"], body={"body": "Edited"})
    assert data["note"]["body"] == "Edited"
    got = ghl.call("get-note", contactId=contact["id"], id=note["id"])["note"]
    assert got["body"] == "Edited"


def s_delete_note(ghl):
    contact = new_contact(ghl)
    note = new_note(ghl, contact["id"])
    assert ghl.call("delete-note", contactId=contact["id"], id=note["id"])["succeded"]
    gone(ghl, "get-note", contactId=contact["id"], id=note["id"])


SCENARIOS = {
    name[2:].replace("_", "-").replace("-by-business-id", "-by-businessId"): fn
    for name, fn in dict(globals()).items()
    if name.startswith("s_") and callable(fn)
}


def test_every_catalog_operation_has_a_scenario():
    # Calendars send Version 2021-04-15: test_ghl_calendar_operations.py covers them; the
    # other groups are called by tests/sandbox/test_spec_conformance.py.
    contacts = {op.id for op in CATALOG if op.path.startswith("/contacts")}
    assert set(SCENARIOS) == contacts | {"get-location", "get-custom-fields"}


def _path_pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/?]+", re.escape(path.rstrip("/"))) + r"/?(\?|$)")


@pytest.mark.parametrize("op_id", sorted(SCENARIOS))
def test_operation(op_id, ghl):
    op = CATALOG[op_id]
    with http.recording() as records:
        SCENARIOS[op_id](ghl)
    pattern = _path_pattern(op.path)
    hits = [
        r
        for r in records
        if r.method == op.method and pattern.search(r.url.split("/sandbox/ghl", 1)[1])
    ]
    assert hits, f"{op_id} was never sent ({op.method} {op.path})"
    assert all(r.status is not None and r.status < 300 for r in hits[:1])
    assert all(r.request_headers.get("Version") == "2021-07-28" for r in hits)
    assert all(r.request_headers.get("Authorization") == http.REDACTED for r in hits)


# --- pagination -------------------------------------------------------------------------


def _seeded_ids(ghl) -> set[str]:
    from sandbox.models import SandboxContact

    return set(
        SandboxContact.objects.filter(location_id=ghl.connection.account_id).values_list(
            "pk", flat=True
        )
    )


def _pages(records, path: str) -> int:
    return sum(1 for r in records if path in r.url)


def test_iterate_search_after_pages(ghl):
    expected = _seeded_ids(ghl)
    assert len(expected) > 20
    with http.recording() as records:
        got = [c["id"] for c in ghl.iterate("search-contacts-advanced", page_size=7)]
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == expected
    pages = [r for r in records if r.url.endswith("/contacts/search")]
    assert len(pages) == -(-len(expected) // 7) + (1 if len(expected) % 7 == 0 else 0)
    assert '"searchAfter"' in pages[1].request_body
    assert '"searchAfter"' not in pages[0].request_body


def test_iterate_start_after_id_pages(ghl):
    expected = _seeded_ids(ghl)
    with http.recording() as records:
        got = [c["id"] for c in ghl.iterate("get-contacts", page_size=9)]
    assert len(got) == len(set(got)) and set(got) == expected
    pages = [r for r in records if "/contacts/?" in r.url or "/contacts?" in r.url]
    assert len(pages) >= 2
    assert "startAfterId=" in pages[1].url and "startAfterId=" not in pages[0].url


def test_iterate_skip_pages(ghl):
    from sandbox.models import SandboxContact

    business = sandbox_ids(ghl)["business"]
    for _ in range(5):
        new_contact(ghl)
    loc = ghl.connection.account_id
    ids = list(SandboxContact.objects.filter(location_id=loc).values_list("pk", flat=True)[:7])
    ghl.call("add-remove-contact-from-business", body={"ids": ids, "businessId": business})
    expected = set(
        SandboxContact.objects.filter(location_id=loc, business_id=business).values_list(
            "pk", flat=True
        )
    )
    assert len(expected) > 2
    with http.recording() as records:
        got = [
            c["id"]
            for c in ghl.iterate("get-contacts-by-businessId", page_size=2, businessId=business)
        ]
    assert len(got) == len(set(got)) and set(got) == expected
    pages = [r for r in records if "/contacts/business/" in r.url]
    assert len(pages) >= 2 and "skip=2" in pages[1].url


def test_iterate_single_page_list(ghl):
    contact = new_contact(ghl)
    new_task(ghl, contact["id"])
    assert [t["contactId"] for t in ghl.iterate("get-all-tasks", contactId=contact["id"])] == [
        contact["id"]
    ]


def test_unknown_parameter_and_missing_parameter_fail_without_http(ghl):
    with http.recording() as records:
        with pytest.raises(ConnectorError) as info:
            ghl.call("get-contact", contactId="x", bogus=1)
        assert info.value.kind == ErrorKind.VALIDATION and "bogus" in info.value.message
        with pytest.raises(ConnectorError) as info:
            ghl.call("get-contact")
        assert "contactId" in info.value.message
        with pytest.raises(ConnectorError):
            ghl.call("no-such-operation")
    assert records == []


def test_validation_error_is_permanent_with_the_apps_words(ghl):
    contact = new_contact(ghl)
    with pytest.raises(ConnectorError) as info:
        ghl.call("create-task", contactId=contact["id"], body={"title": "x"})
    assert info.value.status == 422 and info.value.kind == ErrorKind.VALIDATION
    assert info.value.permanent and "dueDate" in info.value.message


def test_caller_body_is_not_changed(ghl):
    body = {"firstName": "Keep", "email": _email()}
    ghl.call("create-contact", body=body)
    assert "locationId" not in body
