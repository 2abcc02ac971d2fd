"""The generic "Your App" connector against the Your App sandbox over real HTTP."""

from __future__ import annotations

import json
import uuid

import pytest

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.connectors.rest.connector import EVENT_SEND, RestConnector
from integrations.models import Connection

from .test_rest_fixtures import (  # noqa: F401
    API_KEY,
    WEBHOOK_SECRET,
    rest_conn,
    rest_connection,
    sandbox_config,
    sandbox_stats,
    yourapp,
)


def new_contact(**extra) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"ada.{uuid.uuid4().hex[:8]}@example.com",
        **extra,
    }


def test_class_catalog_lists_the_generic_operations():
    ids = {op.id for op in RestConnector.catalog}
    verbs = ("create", "update", "delete", "get", "find", "list")
    assert ids == {
        *(f"{obj}.{verb}" for obj in ("contact", "task", "note", "appointment") for verb in verbs),
        "contact.add_tags",
        "contact.remove_tags",
        EVENT_SEND,
    }
    assert RestConnector.catalog["contact.update"].path_params == ["id"]
    assert RestConnector.catalog["contact.create"].writes


def test_connection_catalog_comes_from_its_config(workspace):
    conn = Connection(
        workspace=workspace,
        kind="rest",
        config={
            "base_url": "https://app.example.com/v1",
            "objects": {
                "ticket": {
                    "create": {"method": "post", "path": "/tickets"},
                    "get": {"method": "GET", "path": "/boards/{board}/tickets/{id}"},
                }
            },
        },
    )
    catalog = conn.connector.catalog
    assert {op.id for op in catalog} == {"ticket.create", "ticket.get", EVENT_SEND}
    assert catalog["ticket.create"].method == "POST"
    assert catalog["ticket.get"].path_params == ["board", "id"]
    with pytest.raises(ConnectorError) as exc:
        conn.connector.call("contact.create", body={})
    assert exc.value.permanent and "unknown operation" in exc.value.message


def test_every_contact_operation_round_trips(rest_conn):  # noqa: F811
    app = rest_conn.connector
    created = app.call("contact.create", body=new_contact(phone="+15550100"))
    contact_id = app.record_id(created)
    assert contact_id.startswith("ya_") and created["first_name"] == "Ada"

    assert app.call("contact.get", id=contact_id)["email"] == created["email"]

    updated = app.call(
        "contact.update",
        id=contact_id,
        body={**new_contact(), "email": created["email"], "company": "Analytical"},
    )
    assert updated["company"] == "Analytical"

    found = app.find("contact", email=created["email"])
    assert [c["id"] for c in found] == [contact_id]
    page = app.call("contact.find", email=created["email"], per_page=5)
    assert page["per_page"] == 5 and page["total"] == 1

    assert app.call("contact.delete", id=contact_id) is None  # 204
    with pytest.raises(ConnectorError) as exc:
        app.call("contact.get", id=contact_id)
    assert exc.value.status == 404 and exc.value.permanent
    assert "not_found" in exc.value.message


def test_placeholders_are_url_quoted(rest_conn):  # noqa: F811
    app = rest_conn.connector
    email = f"ada+{uuid.uuid4().hex[:6]}@example.com"
    created = app.call("contact.create", body=new_contact(email=email))
    assert [c["id"] for c in app.find("contact", email=email)] == [created["id"]]
    with pytest.raises(ConnectorError) as exc:
        app.call("contact.get", id="../contacts?x=1")
    assert exc.value.status == 404  # one quoted path segment, not a different route


def test_find_without_the_filter_lists_everything(rest_conn):  # noqa: F811
    app = rest_conn.connector
    app.call("contact.create", body=new_contact())
    data = app.call("contact.find", per_page=1)
    assert data["total"] >= 1 and len(app.records("contact.find", data)) == 1


def test_missing_path_parameter_is_a_validation_error(rest_conn):  # noqa: F811
    with pytest.raises(ConnectorError) as exc:
        rest_conn.connector.call("contact.get")
    assert exc.value.kind == ErrorKind.VALIDATION and "id" in exc.value.message


def test_duplicate_email_is_a_permanent_conflict_with_the_apps_words(rest_conn):  # noqa: F811
    app = rest_conn.connector
    body = new_contact()
    first = app.call("contact.create", body=body)
    with pytest.raises(ConnectorError) as exc:
        app.call("contact.create", body=body)
    error = exc.value
    assert error.status == 409 and error.permanent and error.kind == ErrorKind.PERMANENT
    assert error.message.startswith("HTTP 409: ") and first["id"] in error.message


def test_invalid_record_is_a_permanent_validation_error(rest_conn):  # noqa: F811
    with pytest.raises(ConnectorError) as exc:
        rest_conn.connector.call("contact.create", body={"email": "not an email"})
    error = exc.value
    assert error.status == 422 and error.permanent and error.kind == ErrorKind.VALIDATION
    assert "validation" in error.message and "email" in error.message


def test_injected_503_is_transient(rest_conn, yourapp):  # noqa: F811
    sandbox_config(yourapp, error_rate=1.0)
    with pytest.raises(ConnectorError) as exc:
        rest_conn.connector.call("contact.find", email="x@example.com")
    assert exc.value.status == 503 and not exc.value.permanent
    assert exc.value.kind == ErrorKind.TRANSIENT
    check = rest_conn.connector.test()
    assert not check.ok and "503" in check.message


def test_injected_429_is_rate_limited_with_retry_after(rest_conn, yourapp):  # noqa: F811
    sandbox_config(yourapp, rate_429=1.0)
    with pytest.raises(ConnectorError) as exc:
        rest_conn.connector.call("contact.find", email="x@example.com")
    assert exc.value.kind == ErrorKind.RATE_LIMITED and not exc.value.permanent
    assert exc.value.retry_after == 1


def test_wrong_api_key_is_an_auth_error(yourapp, workspace):  # noqa: F811
    conn = rest_connection(workspace, yourapp, api_key="wrong-key-123")
    with pytest.raises(ConnectorError) as exc:
        conn.connector.call("contact.find", email="x@example.com")
    assert exc.value.status == 401 and exc.value.kind == ErrorKind.AUTH and exc.value.permanent


def test_check_names_the_host(rest_conn):  # noqa: F811
    result = rest_conn.connector.test()
    assert result.ok and result.message.startswith("Connected to localhost")


def test_secrets_never_reach_call_records(yourapp, workspace):  # noqa: F811
    bearer = rest_connection(workspace, yourapp)
    custom = rest_connection(
        workspace, yourapp, auth_type="header", header_name="X-Token", api_key="custom-key-4711"
    )
    forged = rest_connection(workspace, yourapp, webhook_secret="whsec_forged_secret_99")
    with http.recording() as records:
        created = bearer.connector.call("contact.create", body=new_contact())
        bearer.connector.call("contact.get", id=created["id"])
        bearer.connector.send_event("contact.synced", {"id": created["id"]})
        with pytest.raises(ConnectorError):
            custom.connector.call("contact.get", id=created["id"])
        with pytest.raises(ConnectorError):
            forged.connector.send_event("contact.synced", {"id": created["id"]})
    assert len(records) == 5
    dumped = json.dumps([r.__dict__ for r in records], default=str)
    for secret in (API_KEY, WEBHOOK_SECRET, "custom-key-4711", "whsec_forged_secret_99"):
        assert secret not in dumped
    assert records[3].request_headers["X-Token"] == http.REDACTED
    assert records[0].request_headers["Authorization"] == http.REDACTED


def test_private_targets_are_refused_without_the_setting(rest_conn, yourapp, settings):  # noqa: F811
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    before = sandbox_stats(yourapp)
    app = rest_conn.connector
    for attempt in (
        lambda: app.call("contact.find", email="x@example.com"),
        lambda: app.send_event("contact.synced", {}),
    ):
        with pytest.raises(ConnectorError) as exc:
            attempt()
        assert exc.value.permanent and "private or loopback" in exc.value.message
    check = app.test()
    assert not check.ok and "refused" in check.message
    settings.HTTP_ALLOW_PRIVATE_TARGETS = True
    assert sandbox_stats(yourapp) == before  # nothing reached the app


def test_configure_generates_and_keeps_the_inbound_token_and_secret(workspace):
    conn = Connection(workspace=workspace, kind="rest")
    conn.connector.configure("https://app.example.com/api/", "basic", username="u", password="p")
    token = conn.inbound_token
    assert "inbound_token" not in conn.config  # kept encrypted on the connection
    secret = conn.credentials["webhook_secret"]
    assert len(token) >= 32 and secret.startswith("whsec_") and len(secret) > 40
    assert conn.config["base_url"] == "https://app.example.com/api"
    assert conn.config["auth"] == {"type": "basic"}
    assert conn.auth_method == "api_key" and conn.account_name == "app.example.com"
    assert "contact.find" in {op.id for op in conn.connector.catalog}  # the usual paths
    conn.save()
    conn.connector.configure("https://app.example.com/v2", "none")
    assert conn.inbound_token == token
    assert conn.credentials == {"webhook_secret": secret}
    assert conn.auth_method == "shared_secret"
    conn.connector.configure("https://app.example.com/v2", "bearer", token="tok-1")
    conn.connector.configure("https://app.example.com/v3", "bearer")  # a blank form field
    assert conn.credentials == {"token": "tok-1", "webhook_secret": secret}
    other = Connection(workspace=workspace, kind="rest")
    other.connector.configure("https://app.example.com", "header", api_key="k")
    assert other.inbound_token != token
    assert other.config["auth"] == {"type": "header", "header_name": "X-API-Key"}


@pytest.mark.parametrize(
    ("base_url", "auth_type"),
    [("ftp://app.example.com", "bearer"), ("app.example.com", "bearer"), ("https://a.io", "oauth")],
)
def test_configure_refuses_bad_input(workspace, base_url, auth_type):
    conn = Connection(workspace=workspace, kind="rest")
    with pytest.raises(ConnectorError) as exc:
        conn.connector.configure(base_url, auth_type)
    assert exc.value.kind == ErrorKind.VALIDATION


def test_webhooks_only_connection(workspace):
    conn = Connection(workspace=workspace, kind="rest")
    conn.connector.configure("", "none", webhook_url="https://hooks.example.com/in")
    assert conn.connector.test().ok
    with pytest.raises(ConnectorError) as exc:
        conn.connector.call("contact.find")
    assert "unknown operation" in exc.value.message


def test_poll_pages_through_changes_since_the_cursor(rest_conn, yourapp):  # noqa: F811
    connector = rest_conn.connector
    made = [
        connector.call("contact.create", body={"email": f"p{i}@example.com", "last_name": f"P{i}"})
        for i in range(5)
    ]
    spec = rest_conn.config["objects"]["contact"]["list"]
    spec["per_page"] = 2  # force paging
    rest_conn.save()
    records, cursor = rest_conn.connector.poll({"object": "contact"}, "")
    assert [r["id"] for r in records] == [m["id"] for m in made]
    assert cursor == made[-1]["updated_at"]
    # Nothing changed since: only the boundary record comes back (inclusive cursor).
    again, _ = rest_conn.connector.poll({"object": "contact"}, cursor)
    assert [r["id"] for r in again] == [made[-1]["id"]]
