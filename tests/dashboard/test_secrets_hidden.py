"""A typed secret never comes back: not on Django's DEBUG error page, not in a re-rendered form.

Each view that receives a secret is forced to fail with DEBUG on; Django's technical 500
page (request POST data and every frame's local variables) must not contain the secret.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from integrations import connecting
from integrations.connectors import http
from integrations.connectors.base import CheckResult
from integrations.connectors.rest.connector import RestConnector
from integrations.wizard import drafts

pytestmark = pytest.mark.django_db

# Made at run time: the page shows source lines around each frame, and must not match them.
SECRET = "s3cret-" + secrets.token_hex(8)


def boom(*args: Any, **kwargs: Any) -> Any:
    # The secret is among this frame's arguments, as it would be in real code that fails.
    raise RuntimeError("forced failure")


@pytest.fixture
def debug_client(settings, owner):  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def assert_hidden(response: Any) -> None:
    assert response.status_code == 500
    html = response.content.decode()
    assert "forced failure" in html  # it is the technical 500 page
    assert SECRET not in html
    assert "********" in html


def test_the_token_form_hides_the_token_on_a_debug_500(debug_client, monkeypatch):
    monkeypatch.setattr(connecting, "connect_with_token", boom)
    response = debug_client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {"token": SECRET, "account_id": "loc-1", "scopes": ["contacts.readonly"]},
    )
    assert_hidden(response)


def test_the_token_form_hides_a_secret_deeper_down(debug_client, monkeypatch):
    from integrations.connectors.ghl.connector import GHLConnector

    monkeypatch.setattr(GHLConnector, "connect_with_pit", boom)
    response = debug_client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {"token": SECRET, "account_id": "loc-1", "scopes": ["contacts.readonly"]},
    )
    assert_hidden(response)


@pytest.fixture
def draft(workspace):  # type: ignore[no-untyped-def]
    return drafts.new_draft(workspace, "Sync", "ghl", "rest")


def yourapp_post(**extra: str) -> dict[str, str]:
    return {
        "label": "Your App",
        "base_url": "http://127.0.0.1:9/api",
        "auth_type": "bearer",
        "api_key": SECRET,
        "header_name": "X-API-Key",
        "username": "",
        "password": "",
        "webhook_url": "",
        **extra,
    }


def test_the_wizard_connect_step_hides_the_api_key_on_a_debug_500(debug_client, monkeypatch, draft):
    monkeypatch.setattr(RestConnector, "test", boom)
    response = debug_client.post(
        reverse("dashboard:wizard_connect_yourapp", args=[draft.code]), yourapp_post()
    )
    assert_hidden(response)


def test_the_wizard_connect_step_hides_a_password_on_a_debug_500(debug_client, monkeypatch, draft):
    monkeypatch.setattr(RestConnector, "test", boom)
    response = debug_client.post(
        reverse("dashboard:wizard_connect_yourapp", args=[draft.code]),
        yourapp_post(auth_type="basic", api_key="", username="me", password=SECRET),
    )
    assert_hidden(response)


@pytest.mark.parametrize("field", ["api_key", "password"])
def test_a_failed_wizard_test_does_not_render_the_secret_back(
    client, owner, monkeypatch, draft, field
):
    monkeypatch.setattr(RestConnector, "test", lambda self: CheckResult(False, "HTTP 401"))
    client.force_login(owner)
    post = yourapp_post(auth_type="basic", api_key="", username="me", password=SECRET)
    if field == "api_key":
        post = yourapp_post()
    response = client.post(reverse("dashboard:wizard_connect_yourapp", args=[draft.code]), post)
    html = response.content.decode()
    assert "The test call failed" in html
    assert SECRET not in html


def test_a_failed_token_does_not_render_the_token_back(client, owner, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise connecting.ConnectError("HighLevel did not accept this token")

    monkeypatch.setattr(connecting, "connect_with_token", refuse)
    client.force_login(owner)
    response = client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {"token": SECRET, "account_id": "loc-1", "scopes": ["contacts.readonly"]},
    )
    html = response.content.decode()
    assert "did not accept" in html and SECRET not in html


def test_the_alert_form_hides_a_webhook_url_on_a_debug_500(debug_client, monkeypatch):
    monkeypatch.setattr(http, "check_target", boom)
    response = debug_client.post(
        reverse("dashboard:alerts"),
        {
            "kind": "run_failed",
            "channel": "slack",
            "target": f"https://hooks.slack.com/services/T0/B0/{SECRET}",
            "threshold": "20",
            "window_minutes": "60",
        },
    )
    assert_hidden(response)
