"""PT Distinction (via Zapier): which trigger a delivery came from and the client in it,
connecting, and "Add Client" posted to the sandbox's Catch Hook over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.connectors.ptdistinction import zapier
from integrations.connectors.ptdistinction.connector import ADD_CLIENT
from integrations.models import Connection

HOOK_PATH = "/sandbox/ptdistinction/hooks/catch/1234567/addclient/"


def test_each_trigger_is_recognised_by_its_event_row_or_its_fields():
    assert zapier.event_of({"event": "client_added", "email": "a@x.io"}) == "client_added"
    assert zapier.event_of({"Event": "Client Added to Group"}) == "client_added_to_group"
    assert zapier.event_of({"event": "Pre-Made Package Sign Up"}) == "package_signup"
    assert zapier.event_of({"email": "a@x.io", "group": "Beginners"}) == "client_added_to_group"
    assert zapier.event_of({"email": "a@x.io", "Package": "Shred"}) == "package_signup"
    assert zapier.event_of({"email": "a@x.io"}) == "client_added"
    # An unknown event is kept as given: stored and listed, and no flow runs it.
    assert zapier.event_of({"event": "client_deleted"}) == "client_deleted"


def test_the_record_is_the_client_known_by_email_with_its_tag():
    record = zapier.record_of(
        {
            "Event": "client_added_to_group",
            "Email": "  Ada@Example.COM ",
            "First Name": "Ada",
            "last-name": "Lovelace",
            "group": "Beginners",
            "package": "ignored for a group delivery",
            "phone": "",
        }
    )
    assert record == {
        "id": "ada@example.com",
        "email": "ada@example.com",
        "event": "client_added_to_group",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "group": "Beginners",
        "tags": ["ptd group: Beginners"],
    }
    package = zapier.record_of({"email": "b@x.io", "package": "12 Week Shred"})
    assert package["tags"] == ["ptd package: 12 Week Shred"]
    assert "tags" not in zapier.record_of({"email": "c@x.io", "group": ""})


@pytest.fixture
def conn(live_server, workspace):
    requests.post(live_server.url + "/sandbox/ptdistinction/_control/reset", timeout=10)
    requests.post(
        live_server.url + "/sandbox/ptdistinction/_control/config",
        json={"error_rate": 0},
        timeout=10,
    )
    connection = Connection(workspace=workspace, kind="ptdistinction", label="PTD")
    connection.connector.connect_with(
        "shared_secret", {"add_client_hook_url": live_server.url + HOOK_PATH}
    )
    connection.save()
    return connection


def caught(live_server) -> list[dict]:
    return requests.get(
        live_server.url + "/sandbox/ptdistinction/_control/caught", timeout=10
    ).json()["caught"]


def test_inbound_event_gives_the_trigger_and_an_optional_delivery_id(conn):
    connector = conn.connector
    assert connector.inbound_event({"event": "client_added"}) == ("client_added", "")
    assert connector.inbound_event({"group": "A", "Delivery ID": 42}) == (
        "client_added_to_group",
        "42",
    )
    assert connector.inbound_auth == "header_secret"
    assert connector.inbound_path.startswith("/webhooks/in/")


def test_connecting_keeps_the_secret_and_inbound_url_on_a_reconnect(conn):
    secret, token = conn.credentials["webhook_secret"], conn.inbound_token
    conn.connector.connect_with("shared_secret", {"add_client_hook_url": ""})  # blank: keep
    assert conn.credentials["webhook_secret"] == secret and conn.inbound_token == token
    assert conn.connector.hook_url.endswith(HOOK_PATH)
    with pytest.raises(ConnectorError, match="http"):
        conn.connector.connect_with("shared_secret", {"add_client_hook_url": "ftp://x/y"})


def test_add_client_posts_the_fields_to_the_catch_hook(conn, live_server):
    answer = conn.connector.call(
        ADD_CLIENT,
        body={
            "email": " Ada@Example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "gender": "female",
            "send_login_details": True,
            "two_way_messaging": False,
            "time_zone": None,
        },
    )
    (row,) = caught(live_server)
    assert row["data"] == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "gender": "female",
        "send_login_details": "yes",
        "two_way_messaging": "no",
    }
    assert row["hook"] == "1234567/addclient"
    # The client's id in PT Distinction is its email; Zapier's request id is kept.
    assert answer == {
        "id": "ada@example.com",
        "email": "ada@example.com",
        "request_id": row["request_id"],
        "sent": True,
    }


def test_the_call_is_recorded_without_the_hook_path(conn):
    with http.recording() as records:
        conn.connector.call(ADD_CLIENT, body={"email": "a@x.io", "first_name": "A"})
    (record,) = records
    assert record.method == "POST" and record.status == 200
    assert "addclient" not in record.url and "1234567" not in record.url
    assert json.loads(record.request_body)["email"] == "a@x.io"


def test_add_client_refuses_a_password_and_missing_required_fields(conn, live_server):
    with pytest.raises(ConnectorError, match="never sends passwords") as exc:
        conn.connector.call(
            ADD_CLIENT, body={"email": "a@x.io", "first_name": "A", "password": "x"}
        )
    assert exc.value.kind == ErrorKind.VALIDATION
    with pytest.raises(ConnectorError, match="requires email and first_name"):
        conn.connector.call(ADD_CLIENT, body={"last_name": "B"})
    assert caught(live_server) == []


def test_without_a_catch_hook_add_client_says_what_to_do(workspace):
    connection = Connection(workspace=workspace, kind="ptdistinction", label="inbound only")
    connection.connector.connect_with("shared_secret", {})
    connection.save()
    assert connection.connector.test().ok
    with pytest.raises(ConnectorError, match="no Zapier Catch Hook URL") as exc:
        connection.connector.call(ADD_CLIENT, body={"email": "a@x.io", "first_name": "A"})
    assert exc.value.permanent


def test_a_failing_catch_hook_is_a_transient_error(conn, live_server):
    requests.post(
        live_server.url + "/sandbox/ptdistinction/_control/config",
        json={"error_rate": 1},
        timeout=10,
    )
    with pytest.raises(ConnectorError) as exc:
        conn.connector.call(ADD_CLIENT, body={"email": "a@x.io", "first_name": "A"})
    assert exc.value.kind == ErrorKind.TRANSIENT and exc.value.status == 500


def test_the_ssrf_guard_refuses_a_private_catch_hook(conn, settings):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ConnectorError, match="private or loopback"):
        conn.connector.call(ADD_CLIENT, body={"email": "a@x.io", "first_name": "A"})
    result = conn.connector.test()
    assert not result.ok and "private or loopback" in result.message


def test_the_card_facts_say_where_to_paste_the_inbound_url(conn):
    facts = dict(conn.connector.facts())
    assert conn.connector.inbound_path + "</code>" in facts["Inbound URL"]
    assert "Webhooks by Zapier" in facts["Paste it in"]
    assert "addclient" not in " ".join(str(v) for v in facts.values())


def test_sample_is_the_last_delivery_or_says_how_to_get_one(conn, live_server):
    record, where = conn.connector.sample("contact")
    assert record is None and "Test step" in where
    requests.post(
        live_server.url + "/sandbox/ptdistinction/_control/config",
        json={
            "target_url": live_server.url + conn.connector.inbound_path,
            "webhook_secret": conn.credentials["webhook_secret"],
        },
        timeout=10,
    )
    sent = requests.post(
        live_server.url + "/sandbox/ptdistinction/_control/send",
        json={"trigger": "client_added", "fields": {"email": "s@x.io", "first_name": "S"}},
        timeout=30,
    ).json()
    assert sent["status_code"] == 200
    record, where = conn.connector.sample("contact")
    assert record["email"] == "s@x.io" and "last delivery" in where


def test_a_client_it_has_already_is_not_sent_again(conn, live_server):
    """An update (the engine names the client) spends no Zapier task: Add Client would do
    nothing for a known email, and nothing else can change a client."""
    answer = conn.connector.call(ADD_CLIENT, body={"first_name": "Ada"}, email="Ada@x.io")
    assert answer == {"id": "ada@x.io", "email": "ada@x.io", "request_id": "", "sent": False}
    assert caught(live_server) == []
