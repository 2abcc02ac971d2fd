from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from sandbox.models import SandboxOAuthCode, SandboxToken, SandboxTokenGrant

from .conftest import BASE

REDIRECT = "https://app.example.test/connections/oauth/ghl/callback/?from=sandbox"
SCOPES = "contacts.readonly contacts.write"


def authorize_url(path="/v2/oauth/chooselocation", **over):
    params = {
        "response_type": "code",
        "client_id": "sandbox-client-id",
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "st-123",
    }
    params.update(over)
    return f"{BASE}{path}?" + urlencode({k: v for k, v in params.items() if v is not None})


def consent(client, location_id, action="allow", **over):
    url = authorize_url(**over)
    client.get(url)
    data = {
        "response_type": "code",
        "client_id": "sandbox-client-id",
        "redirect_uri": REDIRECT,
        "scope": over.get("scope", SCOPES),
        "state": "st-123",
        "locationId": location_id,
    }
    if action == "cancel":
        data["cancel"] = "1"
    else:
        data["action"] = "allow"
    return client.post(url, data)


def get_code(client, location_id, **over):
    resp = consent(client, location_id, **over)
    assert resp.status_code == 302
    return parse_qs(urlsplit(resp["Location"]).query)["code"][0]


def exchange(client, code, **over):
    data = {
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "grant_type": "authorization_code",
        "code": code,
        "user_type": "Location",
        "redirect_uri": REDIRECT,
    }
    data.update(over)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(
        f"{BASE}/oauth/token",
        data=urlencode(data),
        content_type="application/x-www-form-urlencoded",
    )


def refresh(client, refresh_token):
    return exchange(client, None, grant_type="refresh_token", refresh_token=refresh_token)


@pytest.mark.parametrize("path", ["/v2/oauth/chooselocation", "/oauth/chooselocation"])
def test_authorize_page_lists_locations_and_scopes(client, seeded, other_location, path):
    resp = client.get(authorize_url(path))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "contacts.readonly" in html and "contacts.write" in html
    assert seeded.name in html and seeded.id in html and other_location.id in html
    assert 'name="locationId"' in html and 'id="allow"' in html and 'id="cancel"' in html


@pytest.mark.parametrize(
    "over",
    [{"client_id": "nope"}, {"redirect_uri": None}, {"scope": None}, {"response_type": "token"}],
)
def test_authorize_errors(client, seeded, over):
    resp = client.get(authorize_url(**over))
    assert resp.status_code == 400
    assert b"oauth-error" in resp.content


def test_allow_redirects_with_code_and_state(seeded):
    client = Client(enforce_csrf_checks=True)
    page = client.get(authorize_url())
    csrf = page.cookies["csrftoken"].value
    resp = client.post(
        authorize_url(),
        {
            "csrfmiddlewaretoken": csrf,
            "response_type": "code",
            "client_id": "sandbox-client-id",
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "st-123",
            "locationId": seeded.id,
            "action": "allow",
        },
    )
    assert resp.status_code == 302
    target = urlsplit(resp["Location"])
    q = parse_qs(target.query)
    assert target.netloc == "app.example.test"
    assert q["from"] == ["sandbox"] and q["state"] == ["st-123"] and q["code"][0]
    code = SandboxOAuthCode.objects.get()
    assert code.location_id == seeded.id and code.scopes == SCOPES


def test_allow_without_csrf_is_refused(seeded):
    client = Client(enforce_csrf_checks=True)
    resp = client.post(authorize_url(), {"locationId": seeded.id, "action": "allow"})
    assert resp.status_code == 403


def test_cancel_redirects_access_denied(client, seeded):
    resp = consent(client, seeded.id, action="cancel")
    assert resp.status_code == 302
    q = parse_qs(urlsplit(resp["Location"]).query)
    assert q["error"] == ["access_denied"] and q["state"] == ["st-123"]
    assert q["error_description"][0]
    assert "code" not in q


def test_code_exchange_returns_ghl_fields_and_replay_fails(client, seeded):
    code = get_code(client, seeded.id)
    resp = exchange(client, code)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    for key in (
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "userType",
        "locationId",
        "companyId",
        "approvedLocations",
        "userId",
        "planId",
        "isBulkInstallation",
    ):
        assert key in body, key
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86399
    assert body["scope"] == SCOPES and body["userType"] == "Location"
    assert body["locationId"] == seeded.id and body["approvedLocations"] == [seeded.id]
    # tokens are stored hashed only
    assert not SandboxToken.objects.filter(token_hash=body["access_token"]).exists()
    replay = exchange(client, code)
    assert replay.status_code == 400
    assert replay.json() == {
        "statusCode": 400,
        "message": "Invalid grant: authorization code is invalid",
    }


def test_token_endpoint_errors(client, seeded):
    code = get_code(client, seeded.id)
    resp = exchange(client, code, client_id=None)
    assert resp.json() == {"statusCode": 400, "message": "Missing parameter: client_id"}
    resp = exchange(client, code, client_secret="wrong")
    assert resp.status_code == 401 and resp.json()["statusCode"] == 401
    resp = exchange(client, code, grant_type="client_credentials")
    assert resp.status_code == 400
    resp = exchange(client, code, redirect_uri="https://evil.example/cb")
    assert resp.status_code == 400
    assert exchange(client, "unknown-code").status_code == 400


def test_expired_code(client, seeded):
    code = get_code(client, seeded.id)
    from datetime import timedelta

    from django.utils import timezone

    SandboxOAuthCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exchange(client, code).status_code == 400


def test_refresh_rotates_and_reuse_fails(client, seeded):
    first = exchange(client, get_code(client, seeded.id)).json()
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert body["locationId"] == seeded.id and body["scope"] == SCOPES
    reuse = refresh(client, first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json() == {"statusCode": 400, "message": "Invalid grant: refresh token is invalid"}
    assert refresh(client, body["refresh_token"]).status_code == 200
    grants = client.get(f"{BASE}/_control/grants").json()
    assert grants["refresh_token"] == 2 and grants["authorization_code"] == 1
    assert SandboxTokenGrant.objects.filter(grant_type="refresh_token").count() == 2


def test_company_token(client, seeded):
    body = exchange(client, get_code(client, seeded.id), user_type="Company").json()
    assert body["userType"] == "Company" and "locationId" not in body
    assert body["approvedLocations"] == [seeded.id]


def _in_memory_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_only_one_wins():
    # Shared-cache in-memory SQLite (the default test DB) fails concurrent writers with
    # "table is locked" instead of waiting, which says nothing about the sandbox; the race
    # is exercised on file SQLite / PostgreSQL test databases.
    if _in_memory_sqlite():
        pytest.skip("needs a file-based or server test database")
    import threading
    import time

    from django.db import connection

    from sandbox.seed import seed

    seed()
    from sandbox.models import SandboxLocation

    loc = SandboxLocation.objects.get(name="Northside Dental")
    client = Client()
    first = exchange(client, get_code(client, loc.id)).json()
    results = []

    def worker():
        # In-memory shared-cache SQLite answers "table is locked" instead of waiting:
        # retry those, like a client would.
        from django.db import OperationalError

        try:
            for _ in range(50):
                try:
                    results.append(refresh(Client(), first["refresh_token"]).status_code)
                    return
                except OperationalError:
                    time.sleep(0.02)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 400, 400, 400]


def test_expired_access_token_401(client, seeded, settings):
    settings.SANDBOX_GHL_TOKEN_TTL = 1
    body = exchange(client, get_code(client, seeded.id)).json()
    assert body["expires_in"] == 1
    from datetime import timedelta

    from django.utils import timezone

    headers = {"Authorization": f"Bearer {body['access_token']}", "Version": "2021-07-28"}
    ok = client.get(f"{BASE}/contacts/?locationId={seeded.id}", headers=headers)
    assert ok.status_code == 200
    SandboxToken.objects.filter(kind="access").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    resp = client.get(f"{BASE}/contacts/?locationId={seeded.id}", headers=headers)
    assert resp.status_code == 401
    assert resp.json() == {
        "statusCode": 401,
        "message": "Invalid token: access token is invalid",
        "error": "Unauthorized",
    }


def test_refresh_claim_is_conditional(client, seeded, monkeypatch):
    """Simulate the race: another request consumes the token between lookup and claim."""
    from django.utils import timezone

    first = exchange(client, get_code(client, seeded.id)).json()
    original = SandboxToken.objects.select_related

    class Racing:
        def __init__(self, qs):
            self.qs = qs

        def filter(self, **kwargs):
            row = self.qs.filter(**kwargs).first()
            SandboxToken.objects.filter(pk=row.pk).update(used_at=timezone.now())
            return type("One", (), {"first": lambda _self: row})()

    monkeypatch.setattr(
        SandboxToken.objects, "select_related", lambda *a, **k: Racing(original(*a, **k))
    )
    resp = refresh(client, first["refresh_token"])
    assert resp.status_code == 400
    assert resp.json()["message"] == "Invalid grant: refresh token is invalid"
