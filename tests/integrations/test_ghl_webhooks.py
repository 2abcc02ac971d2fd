"""The GHL webhook receiver, fed with the sandbox's real signatures (FACTS §7)."""

from __future__ import annotations

import base64
import io
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from integrations.connectors.ghl import webhooks as ghl_webhooks
from integrations.models import Connection, WebhookEvent, Workspace

URL = "/webhooks/ghl/"
SANDBOX_KEYS = Path(django_settings.BASE_DIR) / "sandbox" / "keys"
GHL_KEYS = Path(django_settings.BASE_DIR) / "integrations" / "connectors" / "ghl" / "keys"
LOCATION = "loc-webhook-test-0001"


def _private(name: str):
    return serialization.load_pem_private_key((SANDBOX_KEYS / name).read_bytes(), None)


def ed_sign(body: bytes) -> str:
    return base64.b64encode(_private("ed25519-private.pem").sign(body)).decode()


def rsa_sign(body: bytes) -> str:
    key = _private("rsa-private.pem")
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event(type_: str = "ContactCreate", **extra) -> dict:
    body = {
        "type": type_,
        "locationId": LOCATION,
        "id": "contact-1",
        "email": "ada@example.com",
        "appId": "app-1",
        "versionId": "v-1",
        "timestamp": iso(timezone.now()),
        "webhookId": str(uuid.uuid4()),
    }
    body.update(extra)
    return body


def raw(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def post(client, body: bytes, headers: dict | None = None):
    return client.post(URL, data=body, content_type="application/json", headers=headers or {})


@pytest.fixture(autouse=True)
def _sandbox_keys(settings):
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE = str(SANDBOX_KEYS / "ed25519-public.pem")
    settings.GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE = str(SANDBOX_KEYS / "rsa-public.pem")


@pytest.fixture
def ghl_conn(workspace):
    return Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id=LOCATION
    )


@pytest.mark.django_db
def test_ed25519_signed_event_is_received(client, ghl_conn):
    payload = event()
    body = raw(payload)
    signature = ed_sign(body)
    resp = post(client, body, {"x-ghl-signature": signature})
    assert resp.status_code == 200, resp.content
    row = WebhookEvent.objects.get()
    assert resp.json() == {"status": "received", "id": str(row.code)}
    assert row.status == "received"
    assert row.signature_verdict == "valid_ed25519"
    assert row.event_type == "ContactCreate"
    assert row.dedupe_key == payload["webhookId"]
    assert row.raw_body == body.decode()
    assert row.workspace == ghl_conn.workspace and row.connection == ghl_conn
    assert row.source_kind == "ghl"
    assert row.headers["signature_headers"] == ["x-ghl-signature"]
    assert row.headers["content_type"] == "application/json"
    assert signature not in json.dumps(row.headers)


@pytest.mark.django_db
def test_rsa_only_signature_is_received(client, ghl_conn):
    body = raw(event("TaskCreate"))
    resp = post(client, body, {"x-wh-signature": rsa_sign(body)})
    assert resp.status_code == 200, resp.content
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("received", "valid_rsa")


@pytest.mark.django_db
def test_forged_signature_is_rejected(client, ghl_conn):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    body = raw(event())
    forged = base64.b64encode(ed25519.Ed25519PrivateKey.generate().sign(body)).decode()
    resp = post(client, body, {"x-ghl-signature": forged, "x-wh-signature": rsa_sign(body)})
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "invalid")
    assert "does not match" in row.note
    assert not WebhookEvent.objects.filter(status="received").exists()


@pytest.mark.django_db
def test_body_altered_after_signing_is_rejected(client, ghl_conn):
    body = raw(event())
    signature = ed_sign(body)
    tampered = body.replace(b"ada@example.com", b"eve@example.com")
    resp = post(client, tampered, {"x-ghl-signature": signature})
    assert resp.status_code == 401
    resp = post(client, tampered, {"x-wh-signature": rsa_sign(body)})
    assert resp.status_code == 401
    assert set(WebhookEvent.objects.values_list("status", "signature_verdict")) == {
        ("rejected", "invalid")
    }


@pytest.mark.django_db
def test_garbage_signature_is_rejected(client, ghl_conn):
    body = raw(event())
    resp = post(client, body, {"x-ghl-signature": "not base64!!"})
    assert resp.status_code == 401
    assert WebhookEvent.objects.get().signature_verdict == "invalid"


@pytest.mark.django_db
def test_missing_signature_is_rejected(client, ghl_conn):
    resp = post(client, raw(event()))
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "missing")
    assert row.note == "no signature header"


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [-6, 6])
def test_stale_or_future_timestamp_is_rejected(client, ghl_conn, minutes):
    body = raw(event(timestamp=iso(timezone.now() + timedelta(minutes=minutes))))
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "valid_ed25519")
    assert "replay window" in row.note


@pytest.mark.django_db
def test_tolerance_setting_and_missing_timestamp(client, ghl_conn, settings):
    settings.GHL_WEBHOOK_TOLERANCE_SECONDS = 30
    body = raw(event(timestamp=iso(timezone.now() - timedelta(seconds=60))))
    assert post(client, body, {"x-ghl-signature": ed_sign(body)}).status_code == 401
    payload = event()
    del payload["timestamp"]
    body = raw(payload)
    assert post(client, body, {"x-ghl-signature": ed_sign(body)}).status_code == 401
    assert WebhookEvent.objects.filter(status="rejected").count() == 2


@pytest.mark.django_db
def test_duplicate_webhook_id_is_recorded_not_reprocessed(client, ghl_conn):
    body = raw(event())
    headers = {"x-ghl-signature": ed_sign(body)}
    first = post(client, body, headers)
    second = post(client, body, headers)
    assert first.status_code == 200 and second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert second.json()["original"] == first.json()["id"]
    assert WebhookEvent.objects.filter(status="received").count() == 1
    assert WebhookEvent.objects.filter(status="duplicate").count() == 1


@pytest.mark.django_db
def test_malformed_json_with_valid_signature_is_400(client, ghl_conn):
    body = b'{"type": "ContactCreate", '
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 400
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "valid_ed25519")
    assert row.raw_body == body.decode()


@pytest.mark.django_db
def test_unknown_type_is_ignored(client, ghl_conn):
    body = raw(event("InvoiceCreate"))  # not an event any flow can take
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 200
    assert resp.json()["status"] == "ignored"
    row = WebhookEvent.objects.get()
    assert row.status == "ignored" and "unknown event type" in row.note


@pytest.mark.django_db
def test_install_event_is_received(client, ghl_conn):
    body = raw(event("INSTALL", companyId="co-1"))
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 200 and resp.json()["status"] == "received"


@pytest.mark.django_db
def test_unknown_location_is_stored_without_workspace(client, ghl_conn):
    body = raw(event(locationId="some-other-location"))
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 200 and resp.json()["status"] == "received"
    row = WebhookEvent.objects.get()
    assert row.workspace is None and row.connection is None
    assert row.note == "no connection for location"


@pytest.mark.django_db
def test_body_over_one_megabyte_is_413(client, ghl_conn):
    body = raw(event(filler="x" * (1024 * 1024)))
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 413
    row = WebhookEvent.objects.get()
    assert row.status == "rejected" and row.raw_body == ""


@pytest.mark.django_db
def test_get_is_405(client):
    assert client.get(URL).status_code == 405
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_no_login_or_csrf_needed(ghl_conn):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    body = raw(event())
    assert post(csrf_client, body, {"x-ghl-signature": ed_sign(body)}).status_code == 200


@pytest.mark.django_db
def test_ghl_published_keys_load_and_reject_sandbox_signatures(client, settings, ghl_conn):
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE = str(GHL_KEYS / "ed25519-public.pem")
    settings.GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE = str(GHL_KEYS / "rsa-public.pem")
    assert ghl_webhooks.ed25519_public_key() is not None
    assert ghl_webhooks.rsa_public_key().key_size == 4096
    body = raw(event())
    verdict = ghl_webhooks.verify_signature(body, {"x-ghl-signature": ed_sign(body)})
    assert verdict.verdict == "invalid"
    verdict = ghl_webhooks.verify_signature(body, {"x-wh-signature": rsa_sign(body)})
    assert verdict.verdict == "invalid"
    resp = post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 401
    assert WebhookEvent.objects.get().status == "rejected"


def test_production_settings_point_at_published_keys():
    """Without the sandbox, the settings name GHL's published keys (checked by content)."""
    published = (GHL_KEYS / "ed25519-public.pem").read_text()
    assert "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=" in published
    rsa_text = (GHL_KEYS / "rsa-public.pem").read_text()
    assert "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC" in rsa_text


# --- end to end: the sandbox signs and delivers over real HTTP ------------------------


@pytest.mark.django_db(transaction=True)
def test_sandbox_delivery_is_verified_and_matched(ghl_sandbox, settings):
    settings.SANDBOX_GHL_WEBHOOK_SYNC = True
    base = ghl_sandbox.url + "/sandbox/ghl"
    out = io.StringIO()
    call_command("sandbox_pit", stdout=out)
    minted = json.loads(out.getvalue())
    workspace = Workspace.objects.create(name="Hooked")
    conn = Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id=minted["locationId"]
    )
    sub = requests.post(
        base + "/_control/webhooks",
        json={"url": ghl_sandbox.url + URL, "locationId": minted["locationId"]},
        timeout=10,
    )
    assert sub.status_code == 201, sub.text
    api = {"Authorization": f"Bearer {minted['token']}", "Version": "2021-07-28"}
    created = requests.post(
        base + "/contacts/",
        json={"locationId": minted["locationId"], "firstName": "Ada", "email": "ada@x.test"},
        headers=api,
        timeout=10,
    )
    assert created.status_code in (200, 201), created.text
    contact_id = created.json()["contact"]["id"]
    updated = requests.put(
        f"{base}/contacts/{contact_id}", json={"lastName": "Lovelace"}, headers=api, timeout=10
    )
    assert updated.status_code == 200, updated.text

    rows = WebhookEvent.objects.filter(status="received").order_by("pk")
    assert [r.event_type for r in rows][:2] == ["ContactCreate", "ContactUpdate"]
    for row in rows:
        assert row.signature_verdict == "valid_ed25519"
        assert row.workspace == workspace and row.connection == conn
        assert json.loads(row.raw_body)["locationId"] == minted["locationId"]
    deliveries = requests.get(base + "/_control/webhooks", timeout=10).json()
    ours = [d for d in deliveries["deliveries"] if d["url"].endswith(URL)]
    assert ours and all(d["statusCode"] == 200 for d in ours)
