"""A "Your App" connection's page: paths per object, inbound URL and secret (shown once,
rotatable), reconnect; ownership (404 for outsiders) and roles (403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import AuditEntry, Connection, ConnectionStatus
from tests.connectors.test_rest_fixtures import (  # noqa: F401
    API_KEY,
    WEBHOOK_SECRET,
    rest_connection,
    yourapp,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def conn(workspace):
    return rest_connection(workspace, "http://127.0.0.1:9/sandbox/yourapp")


def url(name: str, conn: Connection) -> str:
    return reverse(f"dashboard:{name}", args=[conn.code])


def path_data(conn: Connection, **changes: tuple[str, str]) -> dict[str, str]:
    """The paths form as the page fills it in, with some (method, path) changed."""
    data = {}
    for name, verbs in conn.config["objects"].items():
        for verb, spec in verbs.items():
            method, path = changes.get(f"{name}__{verb}", (spec["method"], spec["path"]))
            data[f"{name}__{verb}__method"] = method
            data[f"{name}__{verb}__path"] = path
    return data


# --- ownership and roles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("connection_app", "get"),
        ("connection_app", "post"),
        ("connection_app_rotate", "post"),
        ("connection_app_reconnect", "get"),
        ("connection_app_reconnect", "post"),
    ],
)
def test_it_checks_ownership(client, outsider, conn, name, method):
    client.force_login(outsider)
    response = getattr(client, method)(url(name, conn), {"what": "secret"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("connection_app", "post"),
        ("connection_app_rotate", "post"),
        ("connection_app_reconnect", "get"),
        ("connection_app_reconnect", "post"),
    ],
)
def test_a_viewer_may_not_change_it(client, viewer, conn, name, method):
    client.force_login(viewer)
    before = (conn.credentials, conn.inbound_token, conn.config)
    response = getattr(client, method)(url(name, conn), {"what": "secret", **path_data(conn)})
    assert response.status_code == 403
    conn.refresh_from_db()
    assert (conn.credentials, conn.inbound_token, conn.config) == before


def test_a_viewer_sees_paths_and_url_but_never_the_secret(client, viewer, conn):
    client.force_login(viewer)
    page = client.get(url("connection_app", conn)).content.decode()
    assert "/tasks/{id}" in page and conn.inbound_token in page
    assert WEBHOOK_SECRET not in page and "Rotate secret" not in page
    conn.refresh_from_db()
    assert conn.config.get("webhook_secret_unseen")  # still waiting for a manager


def test_a_connection_of_another_kind_is_404(client, owner, workspace):
    other = Connection.objects.create(workspace=workspace, kind="ghl", auth_method="pit")
    client.force_login(owner)
    assert client.get(url("connection_app", other)).status_code == 404


# --- the page -----------------------------------------------------------------------------


def test_it_shows_the_secret_once_then_masked(client, owner, conn):
    client.force_login(owner)
    first = client.get(url("connection_app", conn))
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    html = first.content.decode()
    assert WEBHOOK_SECRET in html and 'id="webhook-secret"' in html
    assert f"/webhooks/in/{conn.inbound_token}/" in html
    for obj in ("contact", "task", "note", "appointment"):
        assert f'id="object-{obj}"' in html
    again = client.get(url("connection_app", conn)).content.decode()
    assert WEBHOOK_SECRET not in again and 'id="webhook-secret-masked"' in again
    assert API_KEY not in html + again


def test_it_saves_paths_and_validates_them(client, owner, conn):
    client.force_login(owner)
    data = path_data(
        conn,
        task__update=("PUT", "/v2/tasks/{id}"),
        note__delete=("DELETE", ""),  # turned off
    )
    response = client.post(url("connection_app", conn), data)
    assert response.status_code == 302
    conn.refresh_from_db()
    task_update = conn.config["objects"]["task"]["update"]
    assert (task_update["method"], task_update["path"]) == ("PUT", "/v2/tasks/{id}")
    assert "delete" not in conn.config["objects"]["note"]
    find = conn.config["objects"]["task"]["find"]
    assert find["query"] == {"contact_id": "{contact_id}"}  # other settings kept
    assert conn.connector.catalog["task.update"].path == "/v2/tasks/{id}"
    assert AuditEntry.objects.filter(action="connection.paths_changed").count() == 1

    for bad in (
        {"task__create": ("POST", "tasks")},
        {"task__create": ("FETCH", "/tasks")},
        {"task__create": ("POST", "/ta sks")},
    ):
        response = client.post(url("connection_app", conn), path_data(conn, **bad))
        assert response.status_code == 400
    conn.refresh_from_db()
    assert conn.config["objects"]["task"]["create"] == {"method": "POST", "path": "/tasks"}


def test_rotating_the_secret_shows_the_new_one_once(client, owner, conn):
    client.force_login(owner)
    client.get(url("connection_app", conn))  # the first secret, seen
    response = client.post(url("connection_app_rotate", conn), {"what": "secret"})
    assert response.status_code == 302
    conn.refresh_from_db()
    new = conn.credentials["webhook_secret"]
    assert new != WEBHOOK_SECRET and new.startswith("whsec_")
    assert new in client.get(url("connection_app", conn)).content.decode()
    assert new not in client.get(url("connection_app", conn)).content.decode()
    entry = AuditEntry.objects.get(action="connection.secret_rotated")
    assert entry.actor == owner and new not in str(entry.detail)


def test_rotating_the_url_changes_the_token(client, owner, conn):
    client.force_login(owner)
    old = conn.inbound_token
    client.post(url("connection_app_rotate", conn), {"what": "url"})
    conn.refresh_from_db()
    assert conn.inbound_token and conn.inbound_token != old
    assert conn.inbound_token_digest == Connection.inbound_token_digest_of(conn.inbound_token)
    assert AuditEntry.objects.filter(action="connection.inbound_url_rotated").exists()
    assert client.post(url("connection_app_rotate", conn), {"what": "x"}).status_code == 302
    assert client.get(url("connection_app_rotate", conn)).status_code == 405


def test_rotation_needs_csrf(owner, conn):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(url("connection_app_rotate", conn), {"what": "url"}).status_code == 403


# --- reconnect ----------------------------------------------------------------------------


def test_reconnect_from_the_connections_page_leads_here(client, owner, conn):
    client.force_login(owner)
    response = client.post(reverse("dashboard:connection_reconnect", args=[conn.code]))
    assert response.status_code == 302
    assert response["Location"] == url("connection_app_reconnect", conn)
    page = client.get(response["Location"]).content.decode()
    assert API_KEY not in page and WEBHOOK_SECRET not in page
    assert "http://127.0.0.1:9/sandbox/yourapp/api" in page  # the base URL is prefilled


def test_reconnect_tests_then_saves_new_credentials(client, owner, workspace, yourapp):  # noqa: F811
    conn = rest_connection(workspace, yourapp, api_key="an-old-revoked-key")
    conn.status = ConnectionStatus.NEEDS_REAUTH
    conn.save()
    client.force_login(owner)
    form = {
        "base_url": yourapp + "/api",
        "auth_type": "bearer",
        "header_name": "X-API-Key",
        "webhook_url": yourapp + "/hooks/syncdeck",
    }
    wrong = client.post(url("connection_app_reconnect", conn), {**form, "api_key": "still-wrong"})
    assert wrong.status_code == 400 and b"The test call failed" in wrong.content
    assert b"still-wrong" not in wrong.content
    conn.refresh_from_db()
    assert conn.credentials["api_key"] == "an-old-revoked-key"

    right = client.post(url("connection_app_reconnect", conn), {**form, "api_key": API_KEY})
    assert right.status_code == 302, right.content.decode()[:2000]
    conn.refresh_from_db()
    assert conn.credentials["api_key"] == API_KEY
    assert conn.credentials["webhook_secret"] == WEBHOOK_SECRET  # blank kept it
    assert conn.status == ConnectionStatus.ACTIVE and conn.last_check_ok
    assert AuditEntry.objects.filter(action="connection.reconnected").exists()
