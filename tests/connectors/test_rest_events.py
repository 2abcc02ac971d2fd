"""Outbound signed events from the "Your App" connector, verified by the sandbox."""

from __future__ import annotations

import json
import time

import pytest

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.connectors.rest import signing
from integrations.connectors.rest.connector import EVENT_SEND

from .test_rest_fixtures import (  # noqa: F401
    rest_conn,
    rest_connection,
    sandbox_config,
    sandbox_stats,
    yourapp,
)


def test_send_event_reaches_the_app_and_verifies(rest_conn, yourapp):  # noqa: F811
    before = sandbox_stats(yourapp).get("valid_events", 0)
    with http.recording() as records:
        sent = rest_conn.connector.send_event("contact.synced", {"id": "c-1", "email": "a@b.c"})
    assert sent["id"].startswith("evt_") and len(sent["id"]) == 36
    assert sent["status"] == 200
    assert sandbox_stats(yourapp)["valid_events"] == before + 1
    (record,) = records
    body = json.loads(record.request_body)
    assert body["type"] == "contact.synced" and body["id"] == sent["id"]
    assert body["data"] == {"id": "c-1", "email": "a@b.c"}
    assert body["occurred_at"].endswith("Z") and "T" in body["occurred_at"]
    assert record.request_headers["Content-Type"] == "application/json"
    assert record.request_headers[signing.SIGNATURE_HEADER].startswith("t=")


def test_event_send_operation_and_duplicate_id(rest_conn, yourapp):  # noqa: F811
    app = rest_conn.connector
    first = app.call(EVENT_SEND, body={"type": "contact.synced", "data": {}, "id": "evt_fixed1"})
    second = app.send_event("contact.synced", {}, event_id="evt_fixed1")
    assert first["id"] == second["id"] == "evt_fixed1"
    assert second["status"] == 200 and "duplicate" in json.dumps(second["response"])


def test_forged_secret_is_refused_as_auth(yourapp, workspace):  # noqa: F811
    conn = rest_connection(workspace, yourapp, webhook_secret="whsec_not_the_apps_secret")
    with pytest.raises(ConnectorError) as exc:
        conn.connector.send_event("contact.synced", {"id": "c-1"})
    error = exc.value
    assert error.status == 401 and error.permanent and error.kind == ErrorKind.AUTH
    assert "invalid signature" in error.message


def test_app_down_is_transient(rest_conn, yourapp):  # noqa: F811
    sandbox_config(yourapp, error_rate=1.0)
    with pytest.raises(ConnectorError) as exc:
        rest_conn.connector.send_event("contact.synced", {})
    assert exc.value.status == 503 and exc.value.kind == ErrorKind.TRANSIENT


def test_send_event_needs_a_url_and_a_type(workspace):
    from integrations.models import Connection

    conn = Connection(workspace=workspace, kind="rest")
    conn.connector.configure("https://app.example.com", "none")
    with pytest.raises(ConnectorError, match="no webhook URL"):
        conn.connector.send_event("x", {})
    conn.connector.configure("https://app.example.com", "none", webhook_url="https://h.example.com")
    with pytest.raises(ConnectorError, match="needs a type"):
        conn.connector.send_event("", {})


# --- signing ---------------------------------------------------------------------------
SECRET = "whsec_test"
BODY = b'{"type":"x","id":"evt_1"}'


def test_sign_and_verify_round_trip():
    now = int(time.time())
    header = signing.sign(SECRET, BODY, now)
    assert header.startswith(f"t={now},v1=") and len(header.split("v1=")[1]) == 64
    verdict = signing.verify(SECRET, BODY, header)
    assert verdict.ok and verdict.verdict == "valid_hmac" and verdict.timestamp == now


def test_known_vector():
    # hex HMAC-SHA256("whsec_test", "1700000000.{body}") computed independently
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_test", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.sign(SECRET, BODY, 1700000000) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (None, "missing"),
        ("", "missing"),
        ("garbage", "invalid"),
        ("t=abc,v1=00", "invalid"),
        ("t=1700000000", "invalid"),
    ],
)
def test_malformed_headers(header, verdict):
    result = signing.verify(SECRET, BODY, header, now=1700000000)
    assert result.verdict == verdict and not result.ok and result.note


def test_tampered_body_and_wrong_secret_are_invalid():
    header = signing.sign(SECRET, BODY, 1700000000)
    assert signing.verify(SECRET, BODY + b" ", header, now=1700000000).verdict == "invalid"
    assert signing.verify("other", BODY, header, now=1700000000).verdict == "invalid"
    assert signing.verify("", BODY, header, now=1700000000).verdict == "invalid"


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp_is_not_ok(offset):
    header = signing.sign(SECRET, BODY, 1700000000)
    result = signing.verify(SECRET, BODY, header, now=1700000000 + offset)
    assert result.signature_valid and not result.fresh and not result.ok
    assert "replay window" in result.note
    assert signing.verify(SECRET, BODY, header, tolerance=600, now=1700000000 + offset).ok


def test_rotation_any_v1_may_match():
    good = signing.sign(SECRET, BODY, 1700000000).split(",")[1]
    header = f"t=1700000000,v1={'0' * 64},{good}"
    assert signing.verify(SECRET, BODY, header, now=1700000000).ok


def test_event_record_is_the_data_of_an_event():
    from integrations.connectors.rest.connector import RestConnector

    assert RestConnector.event_record({"type": "x", "id": "evt_1", "data": {"id": "c"}}) == {
        "id": "c"
    }
    assert RestConnector.event_record({"id": "c"}) == {"id": "c"}
