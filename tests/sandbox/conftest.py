from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.ghl.control import mint_pit
from sandbox.models import SandboxLocation
from sandbox.seed import seed

BASE = "/sandbox/ghl"
NORTHSIDE = "Northside Dental"


@pytest.fixture
def seeded(db):
    seed()
    return SandboxLocation.objects.get(name=NORTHSIDE)


@pytest.fixture
def other_location(seeded):
    return SandboxLocation.objects.get(name="Peak Fitness Studio")


@pytest.fixture
def token(seeded):
    tok, _ = mint_pit(seeded.id)
    return tok


@pytest.fixture
def readonly_token(seeded):
    tok, _ = mint_pit(seeded.id, "contacts.readonly")
    return tok


class Api:
    def __init__(self, client, token):
        self.client = client
        self.token = token

    def __call__(self, method, path, body=None, token=None, version="2021-07-28", **query):
        headers = {}
        tok = self.token if token is None else token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        if version:
            headers["Version"] = version
        url = BASE + path
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query)
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )


@pytest.fixture
def api(client, token):
    return Api(client, token)


class Receiver:
    def __init__(self):
        self.requests = []
        self.status = 200
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                received.requests.append({"headers": dict(self.headers.items()), "raw": raw})
                self.send_response(received.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, type_=None):
        out = [json.loads(r["raw"]) for r in self.requests]
        return [e for e in out if type_ is None or e["type"] == type_]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings, client, seeded):
    settings.SANDBOX_GHL_WEBHOOK_SYNC = True
    r = Receiver()
    resp = client.post(
        f"{BASE}/_control/webhooks", data={"url": r.url}, content_type="application/json"
    )
    assert resp.status_code == 201
    yield r
    r.close()
