from __future__ import annotations

import pytest

from sandbox.models import SandboxContact, SandboxSettings

from .conftest import BASE

RATE_HEADERS = (
    "X-RateLimit-Limit-Daily",
    "X-RateLimit-Daily-Remaining",
    "X-RateLimit-Interval-Milliseconds",
    "X-RateLimit-Max",
    "X-RateLimit-Remaining",
)


def test_missing_or_unknown_token(api, seeded):
    expected = {
        "statusCode": 401,
        "message": "Invalid token: access token is invalid",
        "error": "Unauthorized",
    }
    resp = api("GET", "/contacts/", token="", locationId=seeded.id)
    assert resp.status_code == 401 and resp.json() == expected
    resp = api("GET", "/contacts/", token="garbage", locationId=seeded.id)
    assert resp.status_code == 401 and resp.json() == expected


@pytest.mark.parametrize("version", [None, "2020-01-01"])
def test_version_header_required(api, seeded, version):
    resp = api("GET", "/contacts/", version=version, locationId=seeded.id)
    assert resp.status_code == 400
    assert resp.json() == {"statusCode": 400, "message": "Version header is missing or invalid"}


def test_accepted_versions(api, seeded):
    """Only the Version values the spec allows for the operation (contacts: 2021-07-28;
    v3 where contacts-v3.json has it; the deprecated list is not in v3)."""
    assert api("GET", "/contacts/", version="2021-07-28", locationId=seeded.id).status_code == 200
    for version in ("2021-04-15", "2023-02-21", "v3"):
        answer = api("GET", "/contacts/", version=version, locationId=seeded.id)
        assert answer.status_code == 400, version
    contact = SandboxContact.objects.filter(location=seeded).first()
    assert api("GET", f"/contacts/{contact.id}", version="v3").status_code == 200


def test_readonly_token_cannot_write(api, seeded, readonly_token):
    contact = SandboxContact.objects.filter(location=seeded).first()
    assert api("GET", f"/contacts/{contact.id}", token=readonly_token).status_code == 200
    resp = api("PUT", f"/contacts/{contact.id}", {"firstName": "X"}, token=readonly_token)
    assert resp.status_code == 401
    assert resp.json() == {
        "statusCode": 401,
        "message": "The token is not authorized for this scope.",
    }
    resp = api("POST", "/contacts/", {"locationId": seeded.id}, token=readonly_token)
    assert resp.status_code == 401


def test_other_location_forbidden(api, other_location):
    expected = {
        "statusCode": 403,
        "message": "The token does not have access to this location",
        "error": "Forbidden",
    }
    foreign = SandboxContact.objects.filter(location=other_location).first()
    resp = api("GET", f"/contacts/{foreign.id}")
    assert resp.status_code == 403 and resp.json() == expected
    resp = api("POST", "/contacts/search", {"locationId": other_location.id})
    assert resp.status_code == 403 and resp.json() == expected
    resp = api("POST", "/contacts/", {"locationId": other_location.id, "firstName": "X"})
    assert resp.status_code == 403


def test_rate_limit_headers_and_429(api, client, seeded):
    resp = client.post(
        f"{BASE}/_control/limits", {"max": 3, "interval_ms": 60000}, content_type="application/json"
    )
    assert resp.json()["max"] == 3
    first = api("GET", "/contacts/", locationId=seeded.id)
    for header in RATE_HEADERS:
        assert header in first, header
    assert first["X-RateLimit-Max"] == "3" and first["X-RateLimit-Remaining"] == "2"
    assert first["X-RateLimit-Interval-Milliseconds"] == "60000"
    assert first["X-RateLimit-Limit-Daily"] == "200000"
    api("GET", "/contacts/", locationId=seeded.id)
    api("GET", "/contacts/", locationId=seeded.id)
    limited = api("GET", "/contacts/", locationId=seeded.id)
    assert limited.status_code == 429
    assert limited.json() == {"statusCode": 429, "message": "Too many requests"}
    assert int(limited["Retry-After"]) >= 1 and limited["X-RateLimit-Remaining"] == "0"
    for header in RATE_HEADERS:
        assert header in limited
    client.post(f"{BASE}/_control/reset-counters")
    assert api("GET", "/contacts/", locationId=seeded.id).status_code == 200


def test_daily_limit(api, client, seeded):
    client.post(f"{BASE}/_control/limits", {"daily": 2}, content_type="application/json")
    api("GET", "/contacts/", locationId=seeded.id)
    api("GET", "/contacts/", locationId=seeded.id)
    resp = api("GET", "/contacts/", locationId=seeded.id)
    assert resp.status_code == 429 and resp["X-RateLimit-Daily-Remaining"] == "0"


def test_rate_limit_defaults_from_settings(api, seeded, settings):
    settings.SANDBOX_GHL_RATE_MAX = 7
    resp = api("GET", "/contacts/", locationId=seeded.id)
    assert resp["X-RateLimit-Max"] == "7" and resp["X-RateLimit-Interval-Milliseconds"] == "10000"


def test_fault_injection_all_errors(api, client, seeded):
    resp = client.post(
        f"{BASE}/_control/faults", {"error_rate": 1.0}, content_type="application/json"
    )
    assert resp.json()["error_rate"] == 1.0
    assert client.get(f"{BASE}/_control/faults").json()["error_rate"] == 1.0
    for _ in range(5):
        resp = api("GET", "/contacts/", locationId=seeded.id)
        assert resp.status_code in (500, 502, 503)
        assert resp.json()["statusCode"] == resp.status_code
    # never injected into oauth or control endpoints
    assert client.get(f"{BASE}/_control/grants").status_code == 200
    assert client.post(f"{BASE}/oauth/token", {}).status_code == 400


def test_fault_injection_429_and_slow(api, client, seeded):
    client.post(
        f"{BASE}/_control/faults",
        {"error_rate": 0, "rate_429": 1.0},
        content_type="application/json",
    )
    resp = api("GET", "/contacts/", locationId=seeded.id)
    assert resp.status_code == 429 and resp["Retry-After"]
    client.post(
        f"{BASE}/_control/faults",
        {"rate_429": 0, "slow_rate": 1.0, "slow_ms": 50},
        content_type="application/json",
    )
    assert api("GET", "/contacts/", locationId=seeded.id).status_code == 200
    assert (
        client.post(
            f"{BASE}/_control/faults", {"error_rate": 3}, content_type="application/json"
        ).status_code
        == 400
    )
    assert SandboxSettings.load().slow_ms == 50
