"""The generic inbound receiver /webhooks/in/<token>/, fed with real signatures."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from integrations.connectors.rest import signing
from integrations.models import Connection, WebhookEvent, Workspace
from tests.connectors.test_rest_fixtures import (  # noqa: F401
    API_KEY,
    WEBHOOK_SECRET,
    rest_connection,
    sandbox_config,
    yourapp,
)

SECRET = "whsec_inbound_test_secret"


@pytest.fixture
def conn(workspace) -> Connection:
    conn = Connection(workspace=workspace, kind="rest")
    conn.connector.configure("https://app.example.com/api", "none", webhook_secret=SECRET)
    conn.save()
    return conn


def url(conn: Connection) -> str:
    return f"/webhooks/in/{conn.inbound_token}/"


def event(type_: str = "contact.created", **extra) -> dict:
    return {
        "type": type_,
        "id": f"evt_{uuid.uuid4().hex}",
        "occurred_at": "2026-01-01T00:00:00.000Z",
        "data": {"id": "ya_1", "email": "ada@example.com"},
        **extra,
    }


def raw(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def post(client, conn, body: bytes, *, secret: str = SECRET, timestamp: int | None = None):
    header = signing.sign(secret, body, int(time.time()) if timestamp is None else timestamp)
    return client.post(
        url(conn),
        data=body,
        content_type="application/json",
        headers={"Syncdeck-Signature": header},
    )


def test_signed_event_is_received(client, conn):
    payload = event()
    body = raw(payload)
    resp = post(client, conn, body)
    assert resp.status_code == 200, resp.content
    row = WebhookEvent.objects.get()
    assert resp.json() == {"status": "received", "id": str(row.code)}
    assert (row.source_kind, row.status, row.signature_verdict) == (
        "rest",
        "received",
        "valid_hmac",
    )
    assert row.event_type == "contact.created"
    assert row.dedupe_key == f"{conn.pk}:{payload['id']}"
    assert row.connection == conn and row.workspace == conn.workspace
    assert row.raw_body == body.decode()
    assert row.headers["signature_headers"] == ["Syncdeck-Signature"]
    assert SECRET not in json.dumps(row.headers)


def test_forged_signature_is_rejected(client, conn):
    resp = post(client, conn, raw(event()), secret="whsec_forged")
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "invalid")
    assert "does not match" in row.note and row.connection == conn


def test_missing_signature_is_rejected(client, conn):
    resp = client.post(url(conn), data=raw(event()), content_type="application/json")
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "missing")


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp_is_rejected(client, conn, offset):
    resp = post(client, conn, raw(event()), timestamp=int(time.time()) + offset)
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "valid_hmac")
    assert "replay window" in row.note


def test_duplicate_id_is_recorded_not_reprocessed(client, conn):
    body = raw(event())
    first = post(client, conn, body)
    second = post(client, conn, body)  # a retry, freshly signed
    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert second.json()["original"] == first.json()["id"]
    assert WebhookEvent.objects.filter(status="received").count() == 1
    assert WebhookEvent.objects.filter(status="duplicate").count() == 1


def test_rejected_delivery_does_not_block_the_genuine_one(client, conn):
    body = raw(event())
    assert post(client, conn, body, secret="whsec_forged").status_code == 401
    assert post(client, conn, body).json()["status"] == "received"


def test_same_event_id_on_two_connections_is_not_a_duplicate(client, conn):
    other_ws = Workspace.objects.create(name="Other Co")
    other = Connection(workspace=other_ws, kind="rest")
    other.connector.configure("https://other.example.com", "none", webhook_secret=SECRET)
    other.save()
    payload = event(id="evt_1")
    assert post(client, conn, raw(payload)).json()["status"] == "received"
    assert post(client, other, raw(payload)).json()["status"] == "received"
    assert set(WebhookEvent.objects.values_list("workspace__name", flat=True)) == {
        "Acme Agency",
        "Other Co",
    }


def test_malformed_json_with_valid_signature_is_400(client, conn):
    body = b'{"type": "contact.created", '
    resp = post(client, conn, body)
    assert resp.status_code == 400
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "valid_hmac")
    assert row.raw_body == body.decode()


def test_event_without_id_is_deduplicated_by_body_hash(client, conn):
    payload = event()
    del payload["id"]
    resp = post(client, conn, raw(payload))
    assert resp.status_code == 200
    row = WebhookEvent.objects.get()
    assert row.dedupe_key.startswith(f"{conn.pk}:sha256:") and "body hash" in row.note


@pytest.mark.parametrize("token", ["x" * 32, "short", "0"])
def test_unknown_token_is_404_and_nothing_stored(client, conn, token):
    body = raw(event())
    resp = client.post(
        f"/webhooks/in/{token}/",
        data=body,
        content_type="application/json",
        headers={"Syncdeck-Signature": signing.sign(SECRET, body, int(time.time()))},
    )
    assert resp.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_other_kinds_with_the_token_are_not_matched(client, conn, workspace):
    ghl = Connection(workspace=workspace, kind="ghl", auth_method="pit")
    ghl.set_inbound_token("g" * 32)
    ghl.save()
    resp = client.post(f"/webhooks/in/{'g' * 32}/", data=b"{}", content_type="application/json")
    assert resp.status_code == 404


def test_get_is_not_allowed(client, conn):
    assert client.get(url(conn)).status_code == 405
    assert not WebhookEvent.objects.exists()


def test_oversized_body_is_rejected(client, conn, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    resp = post(client, conn, raw(event(data={"x": "y" * 200})))
    assert resp.status_code == 413
    assert WebhookEvent.objects.get().status == "rejected"


def test_your_app_write_reaches_the_subscribed_url(yourapp, live_server, workspace):  # noqa: F811
    """End to end: a contact written in Your App → its signed event → our receiver."""
    conn = rest_connection(workspace, yourapp)
    inbound = live_server.url + url(conn)
    sandbox_config(yourapp, subscribers=[inbound])
    answer = requests.post(
        yourapp + "/api/contacts",
        json={"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text[:500]
    row = WebhookEvent.objects.get(source_kind="rest")
    assert (row.status, row.signature_verdict) == ("received", "valid_hmac")
    assert row.event_type == "contact.created" and row.connection == conn
    payload = json.loads(row.raw_body)
    assert payload["data"]["id"] == answer.json()["id"]
    assert row.dedupe_key == f"{conn.pk}:{payload['id']}"
