"""Your App (demo): the small generic app Syncdeck syncs GHL contacts into."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from sandbox.models import (
    SandboxYourAppConfig,
    SandboxYourAppContact,
    SandboxYourAppDelivery,
    SandboxYourAppEvent,
)
from sandbox.yourapp.common import sign_header, verify_header

BASE = "/sandbox/yourapp"
KEY = "yourapp-demo-key"
SECRET = "whsec_yourapp_demo_secret"

pytestmark = pytest.mark.django_db


# --- helpers --------------------------------------------------------------------------


def hmac_hex(secret: str, t, raw: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()


def event_body(event_id="evt_1", type_="contact.created", **data) -> bytes:
    body = {
        "type": type_,
        "id": event_id,
        "occurred_at": "2030-01-01T00:00:00.000Z",
        "data": data or {"email": "ann@example.org", "first_name": "Ann"},
    }
    return json.dumps(body).encode()


def deliver(client, raw: bytes, signature: str | None = "auto"):
    headers = {}
    if signature == "auto":
        signature = sign_header(SECRET, raw)
    if signature is not None:
        headers["Syncdeck-Signature"] = signature
    return client.post(
        f"{BASE}/hooks/syncdeck", data=raw, content_type="application/json", headers=headers
    )


class Api:
    def __init__(self, client):
        self.client = client

    def __call__(self, method, path, body=None, key=KEY, raw=None, **query):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        url = f"{BASE}/api{path}"
        if query:
            url += "?" + urlencode(query)
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )


@pytest.fixture
def api(client):
    return Api(client)


def control(client, **config):
    resp = client.post(f"{BASE}/_control/config", data=config, content_type="application/json")
    assert resp.status_code == 200, resp.content
    return resp.json()


class Receiver:
    """A tiny local HTTP server answering with the queued statuses (then 200)."""

    def __init__(self, statuses=()):
        self.requests = []
        self.statuses = list(statuses)
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                me.requests.append({"headers": dict(self.headers.items()), "raw": raw})
                self.send_response(me.statuses.pop(0) if me.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/yourapp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, type_=None):
        out = [json.loads(r["raw"]) for r in self.requests]
        return [e for e in out if type_ is None or e["type"] == type_]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(client, settings):
    settings.SANDBOX_YOURAPP_WEBHOOK_SYNC = True
    settings.SANDBOX_YOURAPP_WEBHOOK_BACKOFF_SECONDS = 0
    r = Receiver()
    control(client, subscribers=[r.url])
    yield r
    r.close()


def assert_signed(request, secret=SECRET):
    header = {k.lower(): v for k, v in request["headers"].items()}["syncdeck-signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    assert abs(int(parts["t"]) - time.time()) < 60
    assert parts["v1"] == hmac_hex(secret, parts["t"], request["raw"])
    assert verify_header(secret, header, request["raw"]) == "valid"


def stats(client):
    return client.get(f"{BASE}/_control/stats").json()


# --- inbound signed events ------------------------------------------------------------


def test_valid_signature_is_received_and_stored(client):
    raw = event_body("evt_ok")
    resp = deliver(client, raw)
    assert resp.status_code == 200 and resp.json() == {"received": True}
    e = SandboxYourAppEvent.objects.get()
    assert (e.event_id, e.type, e.signature, e.duplicate) == (
        "evt_ok",
        "contact.created",
        "valid",
        False,
    )
    assert e.raw_body.encode() == raw and e.received_at is not None


def test_hand_made_signature_and_several_v1_values(client):
    raw = event_body("evt_multi")
    t = int(time.time())
    header = f"t={t},v1={'0' * 64},v1={hmac_hex(SECRET, t, raw)}"
    assert deliver(client, raw, header).status_code == 200


@pytest.mark.parametrize(
    ("make_header", "verdict"),
    [
        (lambda raw: None, "missing"),
        (lambda raw: "", "missing"),
        (lambda raw: sign_header("whsec_forged", raw), "invalid"),
        (lambda raw: "v1=" + hmac_hex(SECRET, int(time.time()), raw), "invalid"),
        (lambda raw: f"t=abc,v1={hmac_hex(SECRET, 'abc', raw)}", "invalid"),
        (lambda raw: sign_header(SECRET, raw, int(time.time()) - 301), "stale"),
        (lambda raw: sign_header(SECRET, raw, int(time.time()) + 400), "stale"),
        (lambda raw: sign_header(SECRET, raw.replace(b"ann@", b"eve@")), "invalid"),
    ],
    ids=["missing", "empty", "forged", "no-t", "bad-t", "stale", "future", "body-altered"],
)
def test_bad_signatures_are_401_and_recorded(client, make_header, verdict):
    raw = event_body("evt_bad")
    resp = deliver(client, raw, make_header(raw))
    assert resp.status_code == 401 and resp.json() == {"error": "invalid signature"}
    e = SandboxYourAppEvent.objects.get()
    assert e.signature == verdict and not e.duplicate and e.event_id == "evt_bad"
    # A forged delivery does not make the genuine one a duplicate.
    assert deliver(client, raw).json() == {"received": True}


def test_duplicate_event_id(client):
    raw = event_body("evt_dup")
    assert deliver(client, raw).json() == {"received": True}
    resp = deliver(client, event_body("evt_dup", "contact.updated"))
    assert resp.status_code == 200 and resp.json() == {"received": True, "duplicate": True}
    assert list(SandboxYourAppEvent.objects.order_by("id").values_list("duplicate", flat=True)) == [
        False,
        True,
    ]
    s = stats(client)
    assert s["received_events"] == 2 and s["valid_events"] == 2 and s["duplicate_events"] == 1


def test_malformed_json_is_400(client):
    for raw in (b"{not json", b"[1, 2]", b'{"type": "contact.created"}'):
        resp = deliver(client, raw)
        assert resp.status_code == 400, raw
        assert "error" in resp.json()
    assert SandboxYourAppEvent.objects.filter(status_code=400).count() == 3


def test_hook_faults_then_retry_delivers_exactly_once(client):
    raw = event_body("evt_retry")
    control(client, error_rate=1)
    resp = deliver(client, raw)
    assert resp.status_code == 503 and resp.json() == {"error": "unavailable"}
    control(client, error_rate=0, rate_429=1)
    resp = deliver(client, raw)
    assert resp.status_code == 429 and resp["Retry-After"] == "1"
    control(client, rate_429=0)
    assert deliver(client, raw).json() == {"received": True}
    assert SandboxYourAppEvent.objects.filter(event_id="evt_retry").count() == 1
    s = stats(client)
    assert s["hook_requests"] == 3 and s["received_events"] == 1 and s["valid_events"] == 1


def test_rotated_secret(client):
    control(client, webhook_secret="whsec_new")
    raw = event_body("evt_rot")
    assert deliver(client, raw).status_code == 401
    header = sign_header("whsec_new", raw)
    assert deliver(client, raw, header).json() == {"received": True}


# --- REST API -------------------------------------------------------------------------


def test_api_requires_the_bearer_key(api):
    for key in (None, "wrong-key"):
        resp = api("GET", "/contacts", key=key)
        assert resp.status_code == 401 and resp.json() == {"error": "unauthorized"}
    resp = api("GET", "/contacts", key=None)
    assert api("GET", "/contacts").status_code == 200
    resp = api.client.get(f"{BASE}/api/contacts", headers={"Authorization": f"Basic {KEY}"})
    assert resp.status_code == 401


def test_crud(api):
    resp = api(
        "POST",
        "/contacts",
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "Ann@Example.org",
            "phone": "+15550001",
            "company": "Acme",
            "tags": ["vip", "vip", " new "],
            "notes": "likes tea",
            "custom": {"plan": "gold"},
            "external_id": "ghl_123",
        },
    )
    assert resp.status_code == 201
    c = resp.json()
    assert c["id"].startswith("ya_") and len(c["id"]) == 15
    assert c["tags"] == ["vip", "new"] and c["custom"] == {"plan": "gold"}
    assert c["external_id"] == "ghl_123" and c["email"] == "Ann@Example.org"
    assert c["created_at"].endswith("Z") and c["updated_at"].endswith("Z")
    assert set(c) == {
        "id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "tags",
        "notes",
        "custom",
        "created_at",
        "updated_at",
    }
    cid = c["id"]
    assert api("GET", f"/contacts/{cid}").json() == c

    patched = api("PATCH", f"/contacts/{cid}", {"company": "Acme Ltd"}).json()
    assert patched["company"] == "Acme Ltd" and patched["first_name"] == "Ann"
    assert patched["updated_at"] >= c["updated_at"] and patched["created_at"] == c["created_at"]

    put = api("PUT", f"/contacts/{cid}", {"email": "ann@example.org", "first_name": "Annie"})
    assert put.status_code == 200
    put = put.json()
    assert put["first_name"] == "Annie" and put["last_name"] == ""
    assert put["company"] == "" and put["tags"] == [] and put["external_id"] is None
    # Read-only fields sent back with the object are accepted and ignored.
    echo = api("PUT", f"/contacts/{cid}", {**put, "id": "ya_other", "last_name": "L"})
    assert echo.status_code == 200 and echo.json()["id"] == cid

    resp = api("DELETE", f"/contacts/{cid}")
    assert resp.status_code == 204 and resp.content == b""
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        resp = api(method, f"/contacts/{cid}", {"email": "x@example.org"})
        assert resp.status_code == 404 and resp.json() == {"error": "not_found"}


def test_validation_422(api):
    resp = api("POST", "/contacts", {"email": "not-an-email"})
    assert resp.status_code == 422
    assert resp.json() == {"error": "validation", "fields": {"email": "not an email"}}
    resp = api("POST", "/contacts", {"first_name": "Only"})
    assert resp.status_code == 422 and set(resp.json()["fields"]) == {"email", "phone", "last_name"}
    resp = api("POST", "/contacts", {"email": "a@example.org", "favourite_colour": "red"})
    assert resp.status_code == 422
    assert resp.json()["fields"] == {"favourite_colour": "unknown field"}
    resp = api("POST", "/contacts", {"last_name": "X", "tags": "a,b"})
    assert resp.status_code == 422 and "tags" in resp.json()["fields"]
    assert api("POST", "/contacts", raw="{oops").status_code == 400
    cid = api("POST", "/contacts", {"phone": "+1555"}).json()["id"]
    assert api("PATCH", f"/contacts/{cid}", {"phone": ""}).status_code == 422
    assert api("PUT", f"/contacts/{cid}", {"first_name": "No key"}).status_code == 422
    assert api("PATCH", f"/contacts/{cid}", {"email": "bad"}).status_code == 422
    assert SandboxYourAppContact.objects.count() == 1


def test_email_conflict_409(api):
    first = api("POST", "/contacts", {"email": "dup@example.org"}).json()
    resp = api("POST", "/contacts", {"email": "DUP@example.ORG", "last_name": "Two"})
    assert resp.status_code == 409
    assert resp.json() == {
        "error": "conflict",
        "message": "a contact with this email exists",
        "id": first["id"],
    }
    other = api("POST", "/contacts", {"email": "other@example.org"}).json()
    for method in ("PUT", "PATCH"):
        resp = api(method, f"/contacts/{other['id']}", {"email": "Dup@Example.org"})
        assert resp.status_code == 409 and resp.json()["id"] == first["id"]
    # Keeping one's own email (any case) is fine.
    assert api("PATCH", f"/contacts/{first['id']}", {"email": "DUP@example.org"}).status_code == 200


def test_list_filters_and_paging(api):
    ids = []
    for i in range(7):
        ids.append(api("POST", "/contacts", {"email": f"p{i}@example.org"}).json()["id"])
        time.sleep(0.002)
    listing = api("GET", "/contacts").json()
    assert listing["total"] == 7 and listing["page"] == 1 and listing["per_page"] == 50
    assert [c["id"] for c in listing["data"]] == ids
    page2 = api("GET", "/contacts", page=2, per_page=3).json()
    assert [c["id"] for c in page2["data"]] == ids[3:6] and page2["total"] == 7
    assert api("GET", "/contacts", page=9, per_page=3).json()["data"] == []
    assert api("GET", "/contacts", per_page=1000).json()["per_page"] == 200
    hit = api("GET", "/contacts", email="P3@EXAMPLE.ORG").json()
    assert hit["total"] == 1 and hit["data"][0]["id"] == ids[3]

    time.sleep(0.005)
    touched = api("PATCH", f"/contacts/{ids[1]}", {"first_name": "T"}).json()
    since = api("GET", "/contacts", updated_since=touched["updated_at"]).json()
    assert [c["id"] for c in since["data"]] == [ids[1]]
    # updated_at order: the touched contact moved last
    assert api("GET", "/contacts").json()["data"][-1]["id"] == ids[1]
    resp = api("GET", "/contacts", updated_since="yesterday")
    assert resp.status_code == 422 and "updated_since" in resp.json()["fields"]
    offset = api("GET", "/contacts", updated_since="2000-01-01T00:00:00+00:00").json()
    assert offset["total"] == 7


def test_api_fault_injection(api, client):
    control(client, error_rate=1.0)
    resp = api("GET", "/contacts")
    assert resp.status_code == 503 and resp.json() == {"error": "unavailable"}
    resp = api("POST", "/contacts", {"email": "f@example.org"})
    assert resp.status_code == 503 and SandboxYourAppContact.objects.count() == 0
    control(client, error_rate=0, rate_429=1.0)
    resp = api("GET", "/contacts")
    assert resp.status_code == 429 and resp["Retry-After"] == "1"
    # Auth is checked before faults.
    assert api("GET", "/contacts", key="nope").status_code == 401
    control(client, rate_429=0, slow_rate=1, slow_ms=50)
    started = time.monotonic()
    assert api("GET", "/contacts").status_code == 200
    assert time.monotonic() - started >= 0.045


def test_stats_counters_and_reset(api, client):
    api("GET", "/contacts")
    cid = api("POST", "/contacts", {"email": "s@example.org"}).json()["id"]
    api("PATCH", f"/contacts/{cid}", {"first_name": "S"})
    api("POST", "/contacts", {"email": "bad"})  # 422: counted as a request, not a write
    api("GET", "/contacts", key="nope")  # 401: counted too
    api("DELETE", f"/contacts/{cid}")
    deliver(client, event_body("evt_s"))
    deliver(client, event_body("evt_t"), signature=None)
    s = stats(client)
    assert s["api_requests"] == 6
    assert s["by_method"] == {"GET": 2, "POST": 2, "PATCH": 1, "DELETE": 1}
    assert s["writes"] == 3
    assert s["received_events"] == 2 and s["valid_events"] == 1
    control(client, error_rate=0.5)
    resp = client.post(f"{BASE}/_control/reset")
    assert resp.status_code == 200
    s = stats(client)
    assert s["api_requests"] == 0 and s["by_method"] == {} and s["writes"] == 0
    assert s["received_events"] == 0 and s["valid_events"] == 0
    assert SandboxYourAppEvent.objects.count() == 0 and SandboxYourAppContact.objects.count() == 0
    assert control(client)["error_rate"] == 0.5  # config kept


def test_control_config(client):
    cfg = client.get(f"{BASE}/_control/config").json()
    assert cfg == {
        "api_key": KEY,
        "webhook_secret": SECRET,
        "subscribers": [],
        "error_rate": 0.0,
        "rate_429": 0.0,
        "slow_rate": 0.0,
        "slow_ms": 0,
    }
    merged = control(client, subscribers=["http://127.0.0.1:9/x"], slow_ms=10)
    assert merged["subscribers"] == ["http://127.0.0.1:9/x"] and merged["slow_ms"] == 10
    assert merged["api_key"] == KEY
    for bad in ({"error_rate": 2}, {"subscribers": ["ftp://x"]}, {"nope": 1}):
        resp = client.post(f"{BASE}/_control/config", data=bad, content_type="application/json")
        assert resp.status_code == 400 and resp.json()["error"] == "validation"
    assert client.get(f"{BASE}/_control/config").json()["error_rate"] == 0.0


# --- outbound events ------------------------------------------------------------------


def test_api_writes_emit_signed_events(api, receiver):
    c = api("POST", "/contacts", {"email": "out@example.org", "last_name": "Out"}).json()
    api("PATCH", f"/contacts/{c['id']}", {"first_name": "Ou"})
    api("DELETE", f"/contacts/{c['id']}")
    events = receiver.events()
    assert [e["type"] for e in events] == ["contact.created", "contact.updated", "contact.deleted"]
    for request in receiver.requests:
        assert_signed(request)
    created = events[0]
    assert set(created) == {"type", "id", "occurred_at", "data"}
    assert created["id"].startswith("evt_") and created["occurred_at"].endswith("Z")
    assert created["data"] == c
    assert events[1]["data"]["first_name"] == "Ou"
    assert events[2]["data"]["id"] == c["id"]
    assert len({e["id"] for e in events}) == 3
    rows = SandboxYourAppDelivery.objects.order_by("id")
    assert [(d.state, d.status_code, d.attempts) for d in rows] == [("ok", 200, 1)] * 3
    assert [d.event_id for d in rows] == [e["id"] for e in events]


def test_outbound_retries_5xx_and_429(api, receiver):
    receiver.statuses = [503, 429]
    api("POST", "/contacts", {"email": "r@example.org"})
    d = SandboxYourAppDelivery.objects.get()
    assert (d.state, d.status_code, d.attempts) == ("ok", 200, 3)
    assert len({json.loads(r["raw"])["id"] for r in receiver.requests}) == 1
    receiver.statuses = [500] * 10
    api("POST", "/contacts", {"email": "r2@example.org"})
    d = SandboxYourAppDelivery.objects.order_by("-id").first()
    assert (d.state, d.status_code, d.attempts) == ("failed", 500, 4)
    receiver.statuses = [400]
    api("POST", "/contacts", {"email": "r3@example.org"})
    d = SandboxYourAppDelivery.objects.order_by("-id").first()
    assert (d.state, d.status_code, d.attempts) == ("failed", 400, 1)


def test_failed_writes_emit_nothing(api, receiver):
    api("POST", "/contacts", {"email": "bad"})
    api("POST", "/contacts", {"email": "ok@example.org"})
    api("POST", "/contacts", {"email": "ok@example.org"})  # 409
    assert [e["type"] for e in receiver.events()] == ["contact.created"]


@pytest.mark.django_db(transaction=True)
def test_background_delivery(api, client, settings):
    settings.SANDBOX_YOURAPP_WEBHOOK_SYNC = False
    r = Receiver()
    try:
        control(client, subscribers=[r.url])
        api("POST", "/contacts", {"email": "bg@example.org"})
        deadline = time.monotonic() + 5
        while not r.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [e["type"] for e in r.events()] == ["contact.created"]
        assert_signed(r.requests[0])
        while time.monotonic() < deadline:
            d = SandboxYourAppDelivery.objects.get()
            if d.state == "ok":
                break
            time.sleep(0.02)
        assert (d.state, d.status_code, d.attempts) == ("ok", 200, 1)
    finally:
        r.close()


# --- UI -------------------------------------------------------------------------------


def test_ui_pages_render(client, api):
    c = api("POST", "/contacts", {"first_name": "Uma", "last_name": "Ui", "tags": ["a", "b"]})
    deliver(client, event_body("evt_ui", email="seen@example.org"))
    html = client.get(f"{BASE}/_ui/").content.decode()
    assert "Your App (demo) — a sandbox app, not real data" in html
    assert '<link rel="icon" href="data:,">' in html
    for text in ("Received from Syncdeck", "evt_ui", "seen@example.org", "valid", "Uma"):
        assert text in html, text
    assert 'id="save-config"' in html and "New contact" in html
    page = client.get(f"{BASE}/_ui/contacts/{c.json()['id']}/").content.decode()
    for name in ("first_name", "last_name", "email", "phone", "company", "tags"):
        assert f'name="{name}"' in page
    assert 'id="save-contact"' in page and "a, b" in page
    assert client.get(f"{BASE}/_ui/?q=uma").status_code == 200
    assert "Uma" not in client.get(f"{BASE}/_ui/?q=zzz").content.decode().split("Contacts")[1]
    for name in ("events", "contacts", "deliveries"):
        assert client.get(f"{BASE}/_ui/panels/{name}").status_code == 200
    assert client.get(f"{BASE}/_ui/contacts/ya_missing/").status_code == 404


def test_ui_edit_emits_contact_updated(client, api, receiver):
    c = api("POST", "/contacts", {"email": "edit@example.org", "custom": {"k": 1}}).json()
    resp = client.post(
        f"{BASE}/_ui/contacts/{c['id']}/",
        {
            "first_name": "Edited",
            "last_name": "Person",
            "email": "edit@example.org",
            "phone": "",
            "company": "Co",
            "tags": "x, y",
        },
    )
    assert resp.status_code == 302
    updated = receiver.events("contact.updated")
    assert len(updated) == 1
    data = updated[0]["data"]
    assert data["first_name"] == "Edited" and data["tags"] == ["x", "y"]
    assert data["custom"] == {"k": 1}  # fields not on the form are kept
    assert_signed(receiver.requests[-1])
    bad = client.post(f"{BASE}/_ui/contacts/{c['id']}/", {"email": "nope", "tags": ""})
    assert bad.status_code == 400 and "not an email" in bad.content.decode()


def test_ui_create_and_delete_emit_events(client, receiver):
    resp = client.post(f"{BASE}/_ui/contacts/new", {"first_name": "N", "last_name": "New"})
    assert resp.status_code == 302
    contact = SandboxYourAppContact.objects.get()
    assert client.post(f"{BASE}/_ui/contacts/{contact.id}/delete").status_code == 302
    assert [e["type"] for e in receiver.events()] == ["contact.created", "contact.deleted"]
    bad = client.post(f"{BASE}/_ui/contacts/new", {"first_name": "No key"})
    assert bad.status_code == 400


def test_ui_config_form(client):
    resp = client.post(
        f"{BASE}/_ui/config",
        {
            "subscribers": "http://127.0.0.1:9/a\nhttp://127.0.0.1:9/b",
            "error_rate": "0.1",
            "rate_429": "0",
            "slow_rate": "0",
            "slow_ms": "0",
        },
    )
    assert resp.status_code == 302
    row = SandboxYourAppConfig.load()
    assert row.subscribers == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]
    assert row.error_rate == 0.1


@pytest.mark.django_db(transaction=True)
def test_counters_are_exact_under_concurrency():
    from django.db import connection
    from django.test import Client

    errors = []

    def worker():
        try:
            api = Api(Client())
            for _ in range(5):
                assert api("GET", "/contacts").status_code == 200
        except Exception as exc:  # report in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = Client().get(f"{BASE}/_control/stats").json()
    assert s["api_requests"] == 30 and s["by_method"] == {"GET": 30}
