"""Connecting PT Distinction (via Zapier) with its form, its card, and its Zapier setup page:
the copy-paste instructions, the secret shown once and rotatable; ownership (404) and
roles (403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.connectors.ptdistinction import zapier
from integrations.models import AuditEntry, Connection

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.zapier.com/hooks/catch/1234567/abcdef/"


@pytest.fixture
def conn(workspace):
    connection = Connection(workspace=workspace, kind="ptdistinction", label="PT Distinction")
    connection.connector.connect_with("shared_secret", {"add_client_hook_url": HOOK})
    connection.save()
    return connection


def url(name: str, conn: Connection) -> str:
    return reverse(f"dashboard:{name}", args=[conn.code])


def test_an_owner_connects_it_with_the_form_and_sees_the_secret_once(client, owner, settings):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = True
    client.force_login(owner)
    form = reverse("dashboard:connection_form", args=["ptdistinction", "shared_secret"])
    page = client.get(form).content.decode()
    assert "Catch Hook URL" in page and "contacts only" in page.lower()
    response = client.post(form, {"add_client_hook_url": HOOK})
    assert response.status_code == 302, response.content.decode()[:2000]
    conn = Connection.objects.get(kind="ptdistinction")
    assert conn.connector.hook_url == HOOK and conn.inbound_token
    secret = conn.credentials["webhook_secret"]
    assert secret.startswith("whsec_") and conn.last_check_ok

    card = client.get(reverse("dashboard:connections")).content.decode()
    assert conn.inbound_token in card  # the inbound URL, and where to paste it
    assert "X-Webhook-Secret" in card and url("connection_zapier", conn) in card
    assert secret not in card and "abcdef" not in card  # neither secret on the card

    first = client.get(url("connection_zapier", conn)).content.decode()
    assert secret in first and "shown only this once" in first
    again = client.get(url("connection_zapier", conn)).content.decode()
    assert secret not in again and conn.inbound_token in again


def test_the_page_gives_the_zaps_fields(client, owner, conn):
    client.force_login(owner)
    page = client.get(url("connection_zapier", conn)).content.decode()
    for trigger in zapier.TRIGGERS:
        assert f"“{trigger.zapier_name}”" in page and f"type {trigger.event}" in page
    for name, _, _ in zapier.ADD_CLIENT_FIELDS:
        assert f"<code>{name}</code>" in page
    assert "Webhooks by Zapier" in page and "Catch Hook" in page and "Add Client" in page
    assert "hooks.zapier.com/…" in page and "abcdef" not in page


def test_a_private_catch_hook_url_is_refused_and_nothing_is_saved(client, owner, settings):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False  # as in production (the SSRF guard)
    client.force_login(owner)
    form = reverse("dashboard:connection_form", args=["ptdistinction", "shared_secret"])
    response = client.post(form, {"add_client_hook_url": "http://127.0.0.1:9/hooks/catch/1/x/"})
    assert response.status_code == 200
    assert "private or loopback" in response.content.decode()
    assert not Connection.objects.filter(kind="ptdistinction").exists()


def test_an_owner_rotates_the_secret(client, owner, conn):
    client.force_login(owner)
    client.get(url("connection_zapier", conn))  # the first secret is seen
    old = conn.credentials["webhook_secret"]
    response = client.post(url("connection_zapier_rotate", conn), {"what": "secret"})
    assert response.status_code == 302
    conn.refresh_from_db()
    assert conn.credentials["webhook_secret"] != old
    assert (
        conn.credentials["webhook_secret"]
        in client.get(url("connection_zapier", conn)).content.decode()
    )
    assert AuditEntry.objects.filter(action="connection.secret_rotated").exists()


def test_it_checks_ownership(client, outsider, conn):
    client.force_login(outsider)
    assert client.get(url("connection_zapier", conn)).status_code == 404
    assert client.post(url("connection_zapier_rotate", conn), {"what": "secret"}).status_code == 404


def test_it_is_only_for_pt_distinction_connections(client, owner, workspace):
    other = Connection.objects.create(workspace=workspace, kind="rest", label="Your App")
    client.force_login(owner)
    assert client.get(url("connection_zapier", other)).status_code == 404


def test_a_viewer_sees_the_instructions_but_never_the_secret_nor_rotates(client, viewer, conn):
    client.force_login(viewer)
    secret = conn.credentials["webhook_secret"]
    page = client.get(url("connection_zapier", conn)).content.decode()
    assert conn.inbound_token in page and secret not in page and "rotate-secret" not in page
    assert client.post(url("connection_zapier_rotate", conn), {"what": "secret"}).status_code == 403
    conn.refresh_from_db()
    assert conn.credentials["webhook_secret"] == secret
