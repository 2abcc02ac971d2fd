"""The GHL OAuth code flow at the connector level, against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import Connection, ConnectionStatus

from .conftest import ALL_SCOPES, grants, main_location_id, oauth_connection, obtain_code


def _raw_credentials(conn: Connection) -> str:
    return Connection.objects.filter(pk=conn.pk).values_list("credentials_encrypted", flat=True)[0]


def test_authorization_url(ghl_sandbox, workspace, settings):
    url = Connection(workspace=workspace, kind="ghl").connector.authorization_url(
        "st4te", ["contacts.readonly", "contacts.write"]
    )
    parts = urlsplit(url)
    assert parts.path.endswith("/v2/oauth/chooselocation")
    query = parse_qs(parts.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [settings.GHL_CLIENT_ID]
    assert query["redirect_uri"] == [settings.GHL_REDIRECT_URI]
    assert query["scope"] == ["contacts.readonly contacts.write"]  # space-separated
    assert query["state"] == ["st4te"]


def test_complete_authorization_stores_encrypted_tokens(ghl_sandbox, workspace, sandbox_base):
    before = grants(sandbox_base)["authorization_code"]
    conn = Connection(workspace=workspace, kind="ghl")
    connector = conn.connector
    code = obtain_code(connector.authorization_url("s", ALL_SCOPES), location_id=main_location_id())
    connector.complete_authorization(code)
    conn.save()
    assert grants(sandbox_base)["authorization_code"] == before + 1

    conn = Connection.objects.get(pk=conn.pk)
    creds = conn.credentials
    assert creds["access_token"] and creds["refresh_token"]
    raw = _raw_credentials(conn)
    assert creds["access_token"] not in raw and creds["refresh_token"] not in raw
    assert conn.auth_method == "oauth2"
    assert conn.account_id == main_location_id()
    assert conn.company_id
    assert sorted(conn.scopes_granted) == sorted(ALL_SCOPES)
    expected = timezone.now() + timedelta(seconds=86399)
    assert abs((conn.expires_at - expected).total_seconds()) < 30
    # and the token works
    data = conn.connector.call("search-contacts-advanced", body={"pageLimit": 1})
    assert data["total"] > 0


def test_expires_at_follows_expires_in(ghl_sandbox, workspace, settings):
    settings.SANDBOX_GHL_TOKEN_TTL = 1234
    conn = oauth_connection(workspace)
    expected = timezone.now() + timedelta(seconds=1234)
    assert abs((conn.expires_at - expected).total_seconds()) < 30


def test_replayed_code_is_refused_clearly(ghl_sandbox, workspace):
    conn = Connection(workspace=workspace, kind="ghl")
    code = obtain_code(conn.connector.authorization_url("s", ALL_SCOPES))
    conn.connector.complete_authorization(code)
    again = Connection(workspace=workspace, kind="ghl")
    with pytest.raises(ConnectorError) as info:
        again.connector.complete_authorization(code)
    assert info.value.permanent and info.value.kind == ErrorKind.AUTH
    assert info.value.status == 400
    assert "authorization code is invalid" in info.value.message
    assert code not in info.value.message


def test_call_refreshes_an_expired_token_first(ghl_sandbox, workspace, sandbox_base):
    conn = oauth_connection(workspace)
    old = conn.credentials
    Connection.objects.filter(pk=conn.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    conn.refresh_from_db()
    before = grants(sandbox_base)["refresh_token"]
    with http.recording() as records:
        data = conn.connector.call("search-contacts-advanced", body={"pageLimit": 1})
    assert data["total"] > 0
    assert grants(sandbox_base)["refresh_token"] == before + 1
    assert len(records) == 1 and records[0].status == 200  # no failed call before it
    conn.refresh_from_db()
    new = conn.credentials
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert conn.expires_at > timezone.now() + timedelta(hours=23)
    assert conn.last_refreshed_at is not None
    # The old refresh token is spent: GHL refresh tokens are single-use.
    spent = requests.post(
        sandbox_base + "/oauth/token",
        data={
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
            "grant_type": "refresh_token",
            "refresh_token": old["refresh_token"],
        },
        timeout=10,
    )
    assert spent.status_code == 400
    assert spent.json()["message"] == "Invalid grant: refresh token is invalid"


def test_short_ttl_token_is_refreshed_before_it_expires(ghl_sandbox, workspace, settings):
    settings.SANDBOX_GHL_TOKEN_TTL = 60  # shorter than GHL_REFRESH_MARGIN_SECONDS
    conn = oauth_connection(workspace)
    old = conn.credentials["access_token"]
    conn.connector.ensure_fresh()
    conn.refresh_from_db()
    assert conn.credentials["access_token"] != old


def test_401_refreshes_once_and_retries(ghl_sandbox, workspace, sandbox_base):
    conn = oauth_connection(workspace)
    creds = conn.credentials
    conn.credentials = {**creds, "access_token": "garbage-access-token"}
    conn.save()
    before = grants(sandbox_base)["refresh_token"]
    with http.recording() as records:
        data = conn.connector.call("get-contacts", limit=1)
    assert data["contacts"]
    assert [r.status for r in records] == [401, 200]
    assert grants(sandbox_base)["refresh_token"] == before + 1
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.ACTIVE
    assert conn.credentials["refresh_token"] != creds["refresh_token"]


def test_401_with_dead_refresh_token_needs_reauth(ghl_sandbox, workspace):
    conn = oauth_connection(workspace)
    conn.credentials = {"access_token": "garbage-access", "refresh_token": "garbage-refresh"}
    conn.save()
    with pytest.raises(ConnectorError) as info:
        conn.connector.call("get-contacts", limit=1)
    assert info.value.kind == ErrorKind.AUTH and info.value.permanent
    assert "refresh token is invalid" in info.value.message
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.NEEDS_REAUTH
    assert "refresh" in conn.last_error
    assert "garbage" not in conn.last_error


def test_expired_token_with_dead_refresh_token_needs_reauth(ghl_sandbox, workspace):
    conn = oauth_connection(workspace)
    conn.credentials = {**conn.credentials, "refresh_token": "garbage-refresh"}
    conn.expires_at = timezone.now() - timedelta(seconds=5)
    conn.save()
    with pytest.raises(ConnectorError) as info:
        conn.connector.call("get-contacts", limit=1)
    assert info.value.kind == ErrorKind.AUTH
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.NEEDS_REAUTH


def test_missing_scope_fails_before_any_http(ghl_sandbox, workspace):
    conn = oauth_connection(workspace, scopes=["contacts.readonly"])
    assert conn.scopes_granted == ["contacts.readonly"]
    with http.recording() as records, pytest.raises(ConnectorError) as info:
        conn.connector.call("create-contact", body={"firstName": "No"})
    assert records == []
    assert info.value.permanent and info.value.kind == ErrorKind.AUTH
    assert "contacts.write" in info.value.message
    # reading is granted
    assert conn.connector.call("get-contacts", limit=1)["contacts"]


def test_pit_cannot_be_refreshed(pit_conn):
    with pytest.raises(ConnectorError) as info:
        pit_conn.connector.refresh(force=True)
    assert info.value.kind == ErrorKind.AUTH and "Private Integration" in info.value.message


def test_revoked_pit_marks_connection_needs_reauth(pit_conn):
    pit_conn.credentials = {"pit": "pit-revoked"}
    pit_conn.save()
    with pytest.raises(ConnectorError) as info:
        pit_conn.connector.call("get-contacts", limit=1)
    assert info.value.status == 401 and info.value.kind == ErrorKind.AUTH
    pit_conn.refresh_from_db()
    assert pit_conn.status == ConnectionStatus.NEEDS_REAUTH
