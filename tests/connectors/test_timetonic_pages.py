"""Connecting TimeTonic from the dashboard (login form → settings form) against its
simulator over real HTTP, who may open those pages, and the bearer-checked inbound URL."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from integrations.models import Connection, WebhookEvent

from .timetonic_fixtures import tt_base, tt_conn, tt_info  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_connects_by_login_then_chooses_the_tables(client, owner, tt_base):  # noqa: F811
    info = tt_info(tt_base)
    client.force_login(owner)
    form = reverse("dashboard:connection_form", args=["timetonic", "login"])
    assert "Appkey" in client.get(form).content.decode()
    answer = client.post(
        form,
        {
            "login": info["login"],
            "password": info["password"],
            "appkey": info["appkey"],
            "base_url": tt_base,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    conn = Connection.objects.get(kind="timetonic")
    assert answer["Location"] == reverse("dashboard:connection_settings", args=[conn.code])
    assert info["password"] not in json.dumps(conn.credentials) + json.dumps(conn.config)
    page = client.get(answer["Location"]).content.decode()
    assert "Syncdeck CRM (demo)" in page and "Appointments" in page
    tables = info["tables"]
    answer = client.post(
        answer["Location"],
        {
            "b_c": info["b_c"],
            "table_contact": tables["Contacts"],
            "table_task": tables["Tasks"],
            "table_note": tables["Notes"],
            "table_appointment": "",
            "webhook_secret": "my-automation-token-123",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    conn.refresh_from_db()
    assert set(conn.config["tables"]) == {"contact", "task", "note"}
    assert conn.credentials["webhook_secret"] == "my-automation-token-123"
    card = client.get(reverse("dashboard:connections")).content.decode()
    assert conn.connector.inbound_path in card and "my-automation-token-123" not in card


def test_settings_check_roles_and_ownership(client, viewer, outsider, tt_conn):  # noqa: F811
    url = reverse("dashboard:connection_settings", args=[tt_conn.code])
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_the_inbound_url_checks_the_bearer_token(client, tt_conn):  # noqa: F811
    path = tt_conn.connector.inbound_path
    body = json.dumps(
        {"event": "contact.updated", "rowId": 1, "changedAt": "2031-01-01T00:00:00Z", "row": {}}
    )
    wrong = client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope"
    )
    assert wrong.status_code == 401
    secret = tt_conn.credentials["webhook_secret"]
    right = client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert right.status_code == 200
    statuses = sorted(WebhookEvent.objects.values_list("status", flat=True))
    assert statuses == ["received", "rejected"]
    assert WebhookEvent.objects.get(status="received").event_type == "contact.updated"
