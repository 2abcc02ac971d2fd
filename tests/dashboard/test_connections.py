"""Connections pages: the OAuth connect flow through the sandbox, PIT, test, reconnect,
disconnect, bad callbacks, ownership (404 for outsiders) and roles (403)."""

from __future__ import annotations

import json
import re
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse

from integrations.models import AuditEntry, Connection, ConnectionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def authorize_in_sandbox(url: str) -> str:
    """Play the person at GHL's authorize page: pick the first location, click Allow."""
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    location = re.search(r'name="locationId" value="([^"]+)"', page.text).group(1)
    form_action = re.search(r'<form[^>]*method="post"[^>]*action="([^"]*)"', page.text)
    target = url if not form_action or not form_action.group(1) else form_action.group(1)
    if target.startswith("/"):
        parts = urlsplit(url)
        target = f"{parts.scheme}://{parts.netloc}{target}"
    fields = {"csrfmiddlewaretoken": csrf, "locationId": location, "action": "allow"}
    for name in ("client_id", "redirect_uri", "scope", "state", "response_type"):
        match = re.search(rf'name="{name}" value="([^"]*)"', page.text)
        if match:
            fields[name] = match.group(1).replace("&amp;", "&")
    answer = browser.post(
        target, data=fields, allow_redirects=False, headers={"Referer": url}, timeout=10
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def start_connect(client, scopes=("contacts.readonly",)) -> str:
    response = client.post(
        reverse("dashboard:connection_new", args=["ghl"]), {"scopes": list(scopes)}
    )
    assert response.status_code == 302
    return response["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + "?" + parts.query


def test_it_shows_empty_state(client, owner):
    client.force_login(owner)
    response = client.get(reverse("dashboard:connections"))
    assert response.status_code == 200
    assert b"No connections yet" in response.content
    assert b"Connect HighLevel" in response.content


def test_scope_page_defaults_to_readonly(client, owner):
    client.force_login(owner)
    response = client.get(reverse("dashboard:connection_new", args=["ghl"]))
    html = response.content.decode()
    assert re.search(r'value="contacts.readonly"[^>]*checked', html)
    assert not re.search(r'value="contacts.write"[^>]*checked', html)
    assert "Needed only to sync into" in html  # contacts.write is explained


def test_authorize_url_is_ghl_shaped(client, owner, ghl_sandbox):
    client.force_login(owner)
    url = start_connect(client, ("contacts.readonly", "contacts.write"))
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path.endswith("/v2/oauth/chooselocation")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["sandbox-client-id"]
    assert query["redirect_uri"][0].endswith("/connections/oauth/ghl/callback/")
    assert query["scope"] == ["contacts.readonly contacts.write"]
    assert len(query["state"][0]) >= 32


def test_full_oauth_connect_then_test(client, owner, ghl_sandbox):
    client.force_login(owner)
    redirect = authorize_in_sandbox(
        start_connect(client, ("contacts.readonly", "locations.readonly"))
    )
    assert "code=" in redirect and "state=" in redirect
    response = client.get(callback_path(redirect), follow=True)
    assert response.status_code == 200
    connection = Connection.objects.get()
    assert connection.workspace.memberships.filter(user=owner).exists()
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.account_id
    assert connection.scopes_granted == ["contacts.readonly", "locations.readonly"]
    html = response.content.decode()
    assert connection.account_id in html
    assert "expires in 23" in html  # "expires in 23 hours, 59 minutes"
    token = connection.credentials["access_token"]
    assert token not in html and token not in connection.credentials_encrypted
    assert AuditEntry.objects.filter(action="connection.created").count() == 1

    response = client.post(
        reverse("dashboard:connection_test", args=[connection.code]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.last_check_ok is True, connection.last_check_message
    assert "contacts readable" in connection.last_check_message


def test_callback_without_state_saves_nothing(client, owner, ghl_sandbox):
    client.force_login(owner)
    response = client.get(
        reverse("dashboard:oauth_callback", args=["ghl"]) + "?code=abc", follow=True
    )
    assert b"did not match a connection started here" in response.content
    assert not Connection.objects.exists()


def test_callback_with_wrong_state_saves_nothing(client, owner, ghl_sandbox):
    client.force_login(owner)
    redirect = authorize_in_sandbox(start_connect(client))
    forged = re.sub(r"state=[^&]+", "state=forged", callback_path(redirect))
    response = client.get(forged, follow=True)
    assert b"did not match a connection started here" in response.content
    assert not Connection.objects.exists()


def test_callback_with_error_param(client, owner, ghl_sandbox):
    client.force_login(owner)
    url = start_connect(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    path = reverse("dashboard:oauth_callback", args=["ghl"])
    response = client.get(f"{path}?error=access_denied&state={state}", follow=True)
    assert b"did not grant access: access_denied" in response.content
    assert not Connection.objects.exists()


def test_replayed_code_is_refused(client, owner, ghl_sandbox):
    client.force_login(owner)
    redirect = authorize_in_sandbox(start_connect(client))
    client.get(callback_path(redirect))
    assert Connection.objects.count() == 1
    # Same code again with a freshly started (valid) state: the sandbox refuses the code.
    url = start_connect(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    path = reverse("dashboard:oauth_callback", args=["ghl"])
    response = client.get(f"{path}?code={code}&state={state}", follow=True)
    assert b"refused the authorization" in response.content
    assert Connection.objects.count() == 1


def pit(location: str | None = None) -> dict:
    out = StringIO()
    call_command("sandbox_pit", stdout=out)
    return json.loads(out.getvalue())


def test_connect_with_private_integration_token(client, owner, ghl_sandbox):
    client.force_login(owner)
    data = pit()
    response = client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {
            "token": data["token"],
            "account_id": data["locationId"],
            "scopes": ["contacts.readonly", "contacts.write"],
        },
        follow=True,
    )
    assert response.status_code == 200
    connection = Connection.objects.get()
    assert connection.auth_method == "pit"
    assert connection.last_check_ok is True
    assert data["token"] not in response.content.decode()
    assert data["token"] not in connection.credentials_encrypted


def test_garbage_token_is_refused_with_a_message(client, owner, ghl_sandbox):
    client.force_login(owner)
    response = client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {"token": "garbage-token", "account_id": "nope", "scopes": ["contacts.readonly"]},
    )
    assert response.status_code == 200
    assert b"did not accept this token" in response.content
    assert b"garbage-token" not in response.content
    assert not Connection.objects.exists()


def test_revoked_token_shows_failure_not_500(client, owner, ghl_sandbox):
    client.force_login(owner)
    data = pit()
    client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {"token": data["token"], "account_id": data["locationId"], "scopes": ["contacts.readonly"]},
    )
    connection = Connection.objects.get()
    connection.credentials = {"pit": "revoked-token"}
    connection.save()
    response = client.post(
        reverse("dashboard:connection_test", args=[connection.code]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.last_check_ok is False
    assert connection.status == ConnectionStatus.NEEDS_REAUTH
    page = client.get(reverse("dashboard:connections")).content.decode()
    assert "needs to be re-authorised" in page and "Reconnect now" in page


def test_reconnect_keeps_identity(client, owner, ghl_sandbox):
    client.force_login(owner)
    client.get(callback_path(authorize_in_sandbox(start_connect(client))))
    connection = Connection.objects.get()
    connection.mark_needs_reauth("test")
    response = client.post(reverse("dashboard:connection_reconnect", args=[connection.code]))
    assert response.status_code == 302
    client.get(callback_path(authorize_in_sandbox(response["Location"])))
    assert Connection.objects.count() == 1
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE


def test_disconnect_deletes(client, owner, ghl_sandbox):
    client.force_login(owner)
    client.get(callback_path(authorize_in_sandbox(start_connect(client))))
    connection = Connection.objects.get()
    client.post(reverse("dashboard:connection_disconnect", args=[connection.code]))
    assert not Connection.objects.exists()
    assert AuditEntry.objects.filter(action="connection.deleted").exists()


@pytest.fixture
def connection(owner, workspace):
    c = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    c.credentials = {"pit": "x" * 20}
    c.save()
    return c


@pytest.mark.parametrize(
    "name,method",
    [
        ("dashboard:connection_card", "get"),
        ("dashboard:connection_test", "post"),
        ("dashboard:connection_test_status", "get"),
        ("dashboard:connection_reconnect", "post"),
        ("dashboard:connection_disconnect", "post"),
    ],
)
def test_it_checks_ownership(client, connection, outsider, name, method):
    client.force_login(outsider)
    response = getattr(client, method)(reverse(name, args=[connection.code]))
    assert response.status_code == 404
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_it_checks_ownership_of_token_replace(client, connection, outsider):
    client.force_login(outsider)
    response = client.get(
        reverse("dashboard:connection_token_replace", args=[connection.code, "ghl"])
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "dashboard:connection_reconnect",
        "dashboard:connection_disconnect",
        "dashboard:connection_test",
    ],
)
def test_viewer_may_not_act(client, connection, viewer, name):
    client.force_login(viewer)
    assert client.post(reverse(name, args=[connection.code])).status_code == 403
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_viewer_sees_no_buttons(client, connection, viewer):
    client.force_login(viewer)
    html = client.get(reverse("dashboard:connections")).content.decode()
    assert "Disconnect" not in html and "Test connection" not in html


def test_operator_may_test_but_not_disconnect(client, connection, operator):
    client.force_login(operator)
    assert (
        client.post(reverse("dashboard:connection_disconnect", args=[connection.code])).status_code
        == 403
    )
    html = client.get(reverse("dashboard:connections")).content.decode()
    assert "Test connection" in html and "Disconnect" not in html


def test_login_required(client, connection):
    response = client.get(reverse("dashboard:connections"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_card_shows_an_open_circuit_breaker(client, connection, owner):
    from datetime import timedelta

    from django.utils import timezone

    Connection.objects.filter(pk=connection.pk).update(
        breaker_failures=5, breaker_open_until=timezone.now() + timedelta(seconds=60)
    )
    client.force_login(owner)
    html = client.get(reverse("dashboard:connections")).content.decode()
    assert "Circuit breaker open" in html and "after 5 failures" in html


def test_connecting_returns_to_next_if_it_is_ours(client, owner, ghl_sandbox):
    client.force_login(owner)
    data = pit()
    form = {
        "token": data["token"],
        "account_id": data["locationId"],
        "scopes": ["contacts.readonly"],
    }
    url = reverse("dashboard:connection_token", args=["ghl"])
    response = client.post(url, {**form, "next": "/integrations/"})
    assert response.status_code == 302 and response["Location"] == "/integrations/"
    response = client.post(url, {**form, "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("dashboard:connections")


def test_oauth_returns_to_next(client, owner, ghl_sandbox):
    client.force_login(owner)
    response = client.post(
        reverse("dashboard:connection_new", args=["ghl"]),
        {"scopes": ["contacts.readonly"], "next": "/integrations/"},
    )
    redirect = authorize_in_sandbox(response["Location"])
    response = client.get(callback_path(redirect))
    assert response.status_code == 302 and response["Location"] == "/integrations/"
