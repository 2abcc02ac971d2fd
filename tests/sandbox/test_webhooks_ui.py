from __future__ import annotations

import base64
import json
from io import StringIO
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.management import call_command

from sandbox.models import SandboxContact, SandboxWebhookDelivery

from .conftest import BASE

KEYS = Path(__file__).resolve().parents[2] / "sandbox" / "keys"


def verify(raw: bytes, headers: dict) -> None:
    lower = {k.lower(): v for k, v in headers.items()}
    ed = serialization.load_pem_public_key((KEYS / "ed25519-public.pem").read_bytes())
    ed.verify(base64.b64decode(lower["x-ghl-signature"]), raw)
    rsa_key = serialization.load_pem_public_key((KEYS / "rsa-public.pem").read_bytes())
    rsa_key.verify(
        base64.b64decode(lower["x-wh-signature"]), raw, padding.PKCS1v15(), hashes.SHA256()
    )


def test_contact_lifecycle_webhooks_are_signed(api, seeded, receiver):
    resp = api(
        "POST",
        "/contacts/",
        {"locationId": seeded.id, "firstName": "Hook", "email": "hook@example.org"},
    )
    cid = resp.json()["contact"]["id"]
    api("PUT", f"/contacts/{cid}", {"lastName": "Shot"})
    api("POST", f"/contacts/{cid}/tags", {"tags": ["hooked"]})
    task = api(
        "POST",
        f"/contacts/{cid}/tasks",
        {"title": "T", "dueDate": "2030-01-01T00:00:00Z", "completed": False},
    ).json()["task"]
    api("PUT", f"/contacts/{cid}/tasks/{task['id']}/completed", {"completed": True})
    api("DELETE", f"/contacts/{cid}/tasks/{task['id']}")
    note = api("POST", f"/contacts/{cid}/notes", {"body": "n"}).json()["note"]
    api("PUT", f"/contacts/{cid}/notes/{note['id']}", {"body": "n2"})
    api("DELETE", f"/contacts/{cid}/notes/{note['id']}")
    api("DELETE", f"/contacts/{cid}")

    types = [e["type"] for e in receiver.events()]
    assert types == [
        "ContactCreate",
        "ContactUpdate",
        "ContactTagUpdate",
        "TaskCreate",
        "TaskComplete",
        "TaskDelete",
        "NoteCreate",
        "NoteUpdate",
        "NoteDelete",
        "ContactDelete",
    ]
    for request in receiver.requests:
        verify(request["raw"], request["headers"])
    create = receiver.events("ContactCreate")[0]
    for key in (
        "type",
        "locationId",
        "id",
        "email",
        "firstName",
        "tags",
        "customFields",
        "dateAdded",
        "appId",
        "versionId",
        "timestamp",
        "webhookId",
    ):
        assert key in create, key
    assert create["locationId"] == seeded.id and create["id"] == cid
    assert receiver.events("ContactTagUpdate")[0]["tags"] == ["hooked"]
    task_event = receiver.events("TaskCreate")[0]
    assert {"id", "contactId", "title", "dueDate", "dateAdded", "assignedTo", "body"} <= set(
        task_event
    )
    assert receiver.events("NoteUpdate")[0]["body"] == "n2"
    assert len({e["webhookId"] for e in receiver.events()}) == 10
    assert SandboxWebhookDelivery.objects.filter(state="ok", status_code=200).count() == 10


def test_tampered_body_fails_verification(api, seeded, receiver):
    api("POST", "/contacts/", {"locationId": seeded.id, "email": "t@example.org"})
    request = receiver.requests[0]
    import pytest
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        verify(request["raw"].replace(b"t@example.org", b"x@example.org"), request["headers"])


def test_non_429_failures_are_final_and_429_is_retried(api, seeded, receiver, settings):
    receiver.status = 500
    api("POST", "/contacts/", {"locationId": seeded.id, "email": "a@example.org"})
    d = SandboxWebhookDelivery.objects.get()
    assert d.state == "failed" and d.status_code == 500 and d.attempts == 1
    receiver.status = 429
    settings.SANDBOX_GHL_WEBHOOK_RETRY_SECONDS = 3600  # retry is scheduled, not run here
    api("POST", "/contacts/", {"locationId": seeded.id, "email": "b@example.org"})
    d = SandboxWebhookDelivery.objects.order_by("-pk").first()
    assert d.state == "retrying" and d.status_code == 429


def test_control_webhooks_list_and_delete(client, receiver):
    listing = client.get(f"{BASE}/_control/webhooks").json()
    assert listing["subscriptions"][0]["url"] == receiver.url
    resp = client.delete(
        f"{BASE}/_control/webhooks", {"url": receiver.url}, content_type="application/json"
    )
    assert resp.json() == {"deleted": 1}


def test_ui_pages_render(client, seeded):
    resp = client.get(f"{BASE}/_ui/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "GHL sandbox — simulated HighLevel, not real data" in html
    assert seeded.name in html and "Webhook subscriptions" in html
    contact = SandboxContact.objects.filter(location=seeded).first()
    page = client.get(f"{BASE}/_ui/contacts/{contact.id}/").content.decode()
    for name in ("firstName", "lastName", "email", "phone", "tags"):
        assert f'name="{name}"' in page
    assert 'id="save-contact"' in page


def test_ui_edit_emits_contact_update(client, seeded, receiver):
    contact = SandboxContact.objects.filter(location=seeded).exclude(tags=[]).first()
    resp = client.post(
        f"{BASE}/_ui/contacts/{contact.id}/",
        {
            "firstName": "Edited",
            "lastName": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "tags": ", ".join(contact.tags),
            "companyName": "UI Co",
        },
    )
    assert resp.status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "Edited" and contact.company_name == "UI Co"
    events = receiver.events("ContactUpdate")
    assert len(events) == 1 and events[0]["firstName"] == "Edited"
    verify(receiver.requests[0]["raw"], receiver.requests[0]["headers"])


def test_ui_create_task_note_delete(client, seeded, receiver):
    resp = client.post(
        f"{BASE}/_ui/contacts/new",
        {"location": seeded.id, "firstName": "New", "email": "new@example.org", "tags": "a, b"},
    )
    assert resp.status_code == 302
    contact = SandboxContact.objects.get(email="new@example.org")
    assert contact.tags == ["a", "b"]
    client.post(f"{BASE}/_ui/contacts/{contact.id}/tasks", {"title": "UI task"})
    task = contact.tasks.get()
    client.post(f"{BASE}/_ui/contacts/{contact.id}/tasks/{task.id}/complete")
    client.post(f"{BASE}/_ui/contacts/{contact.id}/notes", {"body": "UI note"})
    client.post(f"{BASE}/_ui/contacts/{contact.id}/delete")
    assert [e["type"] for e in receiver.events()] == [
        "ContactCreate",
        "TaskCreate",
        "TaskComplete",
        "NoteCreate",
        "ContactDelete",
    ]


def test_ui_settings_form(client, seeded):
    resp = client.post(
        f"{BASE}/_ui/settings",
        {
            "error_rate": "0.3",
            "rate_429": "0",
            "slow_rate": "0",
            "slow_ms": "100",
            "rate_max": "500",
            "rate_interval_ms": "10000",
            "rate_daily": "200000",
        },
    )
    assert resp.status_code == 302
    limits = client.get(f"{BASE}/_control/limits").json()
    assert limits == {"max": 500, "interval_ms": 10000, "daily": 200000}
    assert client.get(f"{BASE}/_control/faults").json()["error_rate"] == 0.3


def test_sandbox_pit_command(db, client):
    out = StringIO()
    call_command("sandbox_pit", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"token", "locationId"}
    resp = client.get(
        f"{BASE}/contacts/?locationId={data['locationId']}",
        headers={"Authorization": f"Bearer {data['token']}", "Version": "2021-07-28"},
    )
    assert resp.status_code == 200 and len(resp.json()["contacts"]) == 20
    out = StringIO()
    call_command("sandbox_pit", "--scopes", "contacts.readonly", stdout=out)
    ro = json.loads(out.getvalue())
    resp = client.post(
        f"{BASE}/contacts/",
        {"locationId": ro["locationId"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {ro['token']}", "Version": "2021-07-28"},
    )
    assert resp.status_code == 401


def test_sandbox_seed_is_idempotent(db):
    call_command("sandbox_seed", stdout=StringIO())
    ids = set(SandboxContact.objects.values_list("id", flat=True))
    call_command("sandbox_seed", stdout=StringIO())
    assert set(SandboxContact.objects.values_list("id", flat=True)) == ids
    from sandbox.models import SandboxLocation

    main = SandboxLocation.objects.get(name="Northside Dental")
    assert main.contacts.count() == 50
    assert SandboxLocation.objects.count() == 3
