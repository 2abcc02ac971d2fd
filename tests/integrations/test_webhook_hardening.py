"""Webhook receivers under hostile or odd input (issue #8, items 2, 3, 8 and 10).

Nested JSON bombs, floods of forged deliveries, signed bodies without an id, chunked
uploads over a real server, a broker that is down, and the inbound token at rest.
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection as db_connection
from kombu.exceptions import OperationalError

from integrations import safejson
from integrations.connectors.rest import signing
from integrations.models import (
    Connection,
    IntegrationStatus,
    Run,
    RunStatus,
    WebhookEvent,
    Workspace,
)
from integrations.sync.dispatch import dispatch_webhook_event
from integrations.webhooks import guard
from tests.integrations.test_ghl_webhooks import (
    LOCATION,
    SANDBOX_KEYS,
    ed_sign,
)
from tests.integrations.test_ghl_webhooks import (
    event as ghl_event,
)
from tests.integrations.test_ghl_webhooks import (
    raw as ghl_raw,
)
from tests.integrations.test_rest_webhooks import SECRET
from tests.integrations.test_rest_webhooks import event as rest_event
from tests.integrations.test_rest_webhooks import raw as rest_raw

ROOT = Path(__file__).resolve().parents[2]
GHL_URL = "/webhooks/ghl/"
NESTED = ("[" * 2000 + "]" * 2000).encode()


@pytest.fixture(autouse=True)
def _sandbox_keys(settings):
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE = str(SANDBOX_KEYS / "ed25519-public.pem")
    settings.GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE = str(SANDBOX_KEYS / "rsa-public.pem")


@pytest.fixture
def ghl_conn(workspace):
    return Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id=LOCATION
    )


@pytest.fixture
def rest_conn(workspace) -> Connection:
    conn = Connection(workspace=workspace, kind="rest")
    conn.connector.configure("https://app.example.com/api", "none", webhook_secret=SECRET)
    conn.save()
    return conn


@pytest.fixture
def clock(monkeypatch):
    """The receivers' clock (rate-limit minutes, dedupe windows), moved by hand."""
    state = {"now": time.time()}
    monkeypatch.setattr(guard, "now", lambda: state["now"])
    return state


def ghl_post(client, body: bytes, headers: dict | None = None, **extra):
    return client.post(
        GHL_URL, data=body, content_type="application/json", headers=headers or {}, **extra
    )


def rest_url(conn: Connection) -> str:
    return f"/webhooks/in/{conn.inbound_token}/"


def rest_post(client, conn, body: bytes, *, secret: str | None = SECRET, when: float | None = None):
    headers = {}
    if secret is not None:
        stamp = int(time.time() if when is None else when)
        headers["Syncdeck-Signature"] = signing.sign(secret, body, stamp)
    return client.post(rest_url(conn), data=body, content_type="application/json", headers=headers)


# --- item 2: nested JSON ----------------------------------------------------------------


def test_safe_loads_bounds_depth():
    deepest = safejson.loads("[" * 64 + "]" * 64)
    for _ in range(63):
        deepest = deepest[0]
    assert deepest == []
    assert safejson.loads(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    with pytest.raises(safejson.TooDeep):
        safejson.loads("[" * 65 + "]" * 65)
    with pytest.raises(ValueError):  # a RecursionError inside json never escapes
        safejson.loads(NESTED)
    with pytest.raises(ValueError):
        safejson.loads(b"\xff\xfe")
    assert safejson.loads('{"a": 1}', max_depth=1) == {"a": 1}
    with pytest.raises(ValueError):
        safejson.loads('{"a": {"b": 1}}', max_depth=1)


@pytest.mark.django_db
def test_ghl_nested_json_unsigned_is_401_and_stored(client, ghl_conn):
    resp = ghl_post(client, NESTED)
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "missing")


@pytest.mark.django_db
def test_ghl_nested_json_signed_is_400_and_stored(client, ghl_conn):
    resp = ghl_post(client, NESTED, {"x-ghl-signature": ed_sign(NESTED)})
    assert resp.status_code == 400
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "valid_ed25519")
    assert "nested" in row.note


def test_rest_nested_json_unsigned_is_401_and_stored(client, rest_conn):
    resp = rest_post(client, rest_conn, NESTED, secret=None)
    assert resp.status_code == 401
    assert WebhookEvent.objects.get().status == "rejected"


def test_rest_nested_json_signed_is_400_and_stored(client, rest_conn):
    resp = rest_post(client, rest_conn, NESTED)
    assert resp.status_code == 400
    row = WebhookEvent.objects.get()
    assert (row.status, row.signature_verdict) == ("rejected", "valid_hmac")
    assert "nested" in row.note


def test_dispatch_of_a_stored_deep_body_queues_nothing(rest_conn):
    stored = WebhookEvent.objects.create(
        source_kind="rest",
        connection=rest_conn,
        workspace=rest_conn.workspace,
        raw_body=NESTED.decode(),
        signature_verdict="valid_hmac",
        status="received",
    )
    assert dispatch_webhook_event(stored) == []


# --- item 3: forged deliveries do not fill the disk ------------------------------------


@pytest.mark.django_db
def test_rejected_body_keeps_only_a_prefix(client, ghl_conn, settings):
    settings.WEBHOOK_REJECTED_BODY_BYTES = 2048
    body = ghl_raw(ghl_event(filler="x" * 500_000))
    resp = ghl_post(client, body)
    assert resp.status_code == 401
    row = WebhookEvent.objects.get()
    assert row.raw_body == body[:2048].decode()
    assert "truncated" in row.note and str(len(body)) in row.note


def test_rest_rejected_body_keeps_only_a_prefix(client, rest_conn, settings):
    settings.WEBHOOK_REJECTED_BODY_BYTES = 100
    body = rest_raw(rest_event(data={"x": "y" * 5000}))
    assert rest_post(client, rest_conn, body, secret="whsec_forged").status_code == 401
    row = WebhookEvent.objects.get()
    assert len(row.raw_body) == 100 and "truncated" in row.note


@pytest.mark.django_db
def test_accepted_body_is_stored_whole(client, ghl_conn, settings):
    settings.WEBHOOK_REJECTED_BODY_BYTES = 100
    body = ghl_raw(ghl_event(filler="x" * 500_000))
    resp = ghl_post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 200, resp.content[:300]
    assert WebhookEvent.objects.get().raw_body == body.decode()


@pytest.mark.django_db
def test_rejected_deliveries_are_capped_per_address_and_minute(client, ghl_conn, settings, clock):
    settings.WEBHOOK_REJECTED_PER_MINUTE = 3
    body = ghl_raw(ghl_event())
    answers = [ghl_post(client, body, REMOTE_ADDR="203.0.113.7").status_code for _ in range(6)]
    assert answers == [401, 401, 401, 429, 429, 429]
    assert WebhookEvent.objects.count() == 3
    last = WebhookEvent.objects.order_by("pk").last()
    assert "3 more rejected deliveries from 203.0.113.7 were dropped" in last.note

    # Another address has its own budget; a genuine delivery is never capped.
    assert ghl_post(client, body, REMOTE_ADDR="198.51.100.1").status_code == 401
    signed = ghl_raw(ghl_event())
    ok = ghl_post(client, signed, {"x-ghl-signature": ed_sign(signed)}, REMOTE_ADDR="203.0.113.7")
    assert ok.status_code == 200

    # The next minute starts a new budget.
    clock["now"] += 60
    assert ghl_post(client, body, REMOTE_ADDR="203.0.113.7").status_code == 401
    assert WebhookEvent.objects.filter(status="rejected").count() == 5


def test_rest_rejected_deliveries_are_capped(client, rest_conn, settings, clock):
    settings.WEBHOOK_REJECTED_PER_MINUTE = 2
    body = rest_raw(rest_event())
    codes = [rest_post(client, rest_conn, body, secret="whsec_x").status_code for _ in range(4)]
    assert codes == [401, 401, 429, 429]
    assert WebhookEvent.objects.count() == 2
    assert "2 more rejected" in WebhookEvent.objects.order_by("pk").last().note


# --- item 8a: signed bodies without a delivery id --------------------------------------


@pytest.mark.django_db
def test_ghl_signed_body_without_webhook_id_is_deduplicated(client, ghl_conn):
    payload = ghl_event()
    del payload["webhookId"]
    body = ghl_raw(payload)
    headers = {"x-ghl-signature": ed_sign(body)}
    first = ghl_post(client, body, headers)
    second = ghl_post(client, body, headers)
    assert first.json()["status"] == "received"
    assert second.json()["status"] == "duplicate"
    assert second.json()["original"] == first.json()["id"]
    other = ghl_raw({**payload, "email": "grace@example.com"})
    assert ghl_post(client, other, {"x-ghl-signature": ed_sign(other)}).json()["status"] == (
        "received"
    )


def test_rest_body_without_id_is_deduplicated_within_the_window(client, rest_conn, clock):
    payload = rest_event()
    del payload["id"]
    body = rest_raw(payload)
    first = rest_post(client, rest_conn, body, when=clock["now"])
    assert first.status_code == 200, first.content
    clock["now"] += 200
    second = rest_post(client, rest_conn, body, when=clock["now"])
    assert second.json()["status"] == "duplicate"
    assert second.json()["original"] == first.json()["id"]
    # Past the replay window the same body is a new event (e.g. a value set back).
    clock["now"] += 400
    third = rest_post(client, rest_conn, body, when=clock["now"])
    assert third.json()["status"] == "received"
    assert WebhookEvent.objects.filter(status="duplicate").count() == 1


# --- item 8c: the broker is down --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_broker_down_still_answers_200_and_keeps_the_run_queued(client, workspace, monkeypatch):
    from integrations import demo, tasks

    ghl = Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id=LOCATION
    )
    yourapp = Connection(workspace=workspace, kind="rest", label="Your App")
    yourapp.connector.configure("https://app.example.com/api", "none", webhook_secret=SECRET)
    yourapp.save()
    integration = demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    integration.status = IntegrationStatus.ACTIVE
    integration.save()

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.execute_run, "apply_async", broker_down)
    body = ghl_raw(ghl_event("ContactCreate"))
    resp = ghl_post(client, body, {"x-ghl-signature": ed_sign(body)})
    assert resp.status_code == 200, resp.content
    stored = WebhookEvent.objects.get()
    run = Run.objects.get(webhook_event=stored)
    assert run.status == RunStatus.QUEUED


# --- item 8b: chunked deliveries over a real server -------------------------------------


def _free_listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@pytest.fixture
def gunicorn_server(transactional_db, tmp_path):
    """gunicorn on a socket we bound: connections wait in its backlog until it serves."""
    listener = _free_listener()
    db = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "SYNCDECK_DEMO": "true",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "SYNCDECK_ENCRYPTION_KEYS": ",".join(django_settings.SYNCDECK_ENCRYPTION_KEYS),
        "GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE": str(SANDBOX_KEYS / "ed25519-public.pem"),
        "GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE": str(SANDBOX_KEYS / "rsa-public.pem"),
        "WEBHOOK_MAX_BODY_BYTES": "4096",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"fd://{listener.fileno()}",
            "--workers",
            "1",
            "--timeout",
            "60",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield listener.getsockname()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        listener.close()
        log.close()


def _chunked_post(address: tuple[str, int], body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection(*address, timeout=60)
    try:
        # An iterable body and no Content-Length: http.client sends it chunked.
        conn.request(
            "POST",
            GHL_URL,
            body=iter([body[: len(body) // 2], body[len(body) // 2 :]]),
            headers={"Content-Type": "application/json", **headers},
            encode_chunked=True,
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_chunked_delivery_is_read_not_lost(gunicorn_server):
    workspace = Workspace.objects.create(name="Chunked Co")
    Connection.objects.create(
        workspace=workspace, kind="ghl", auth_method="pit", account_id=LOCATION
    )
    body = ghl_raw(ghl_event())
    status = _chunked_post(gunicorn_server, body, {"x-ghl-signature": ed_sign(body)})
    assert status == 200, "see gunicorn.log in the test's tmp_path"
    row = WebhookEvent.objects.get()
    assert (row.status, row.raw_body) == ("received", body.decode())

    big = ghl_raw(ghl_event(filler="x" * 5000))
    assert _chunked_post(gunicorn_server, big, {"x-ghl-signature": ed_sign(big)}) == 413
    assert WebhookEvent.objects.filter(status="rejected").count() == 1


# --- item 10: the inbound token at rest ------------------------------------------------


def test_inbound_token_is_not_stored_in_plain_text(client, rest_conn):
    token = rest_conn.inbound_token
    assert len(token) >= 24
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_connection WHERE id = %s", [rest_conn.pk])
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert token not in stored
    assert "inbound_token" not in json.dumps(rest_conn.config)
    fresh = Connection.objects.get(pk=rest_conn.pk)
    assert fresh.inbound_token == token
    assert fresh.connector.inbound_token == token
    # The receiver still finds the connection by its token.
    resp = rest_post(client, fresh, rest_raw(rest_event()))
    assert resp.status_code == 200, resp.content


def test_admin_does_not_show_the_inbound_token(admin_client, rest_conn):
    page = admin_client.get(f"/admin/integrations/connection/{rest_conn.pk}/change/")
    assert page.status_code == 200
    assert rest_conn.inbound_token not in page.content.decode()


def test_migration_moves_plain_tokens_out_of_config(workspace):
    from django.apps import apps

    module_path = next((ROOT / "integrations" / "migrations").glob("*_webhook_hardening.py"))
    migration = importlib.import_module(f"integrations.migrations.{module_path.stem}")
    legacy = Connection.objects.create(
        workspace=workspace,
        kind="rest",
        auth_method="shared_secret",
        config={"inbound_token": "legacy-token-0123456789abcdef", "base_url": "https://x.test"},
    )
    migration.encrypt_inbound_tokens(apps, None)
    legacy.refresh_from_db()
    assert legacy.config == {"base_url": "https://x.test"}
    assert legacy.inbound_token == "legacy-token-0123456789abcdef"
    assert legacy.inbound_token_digest == Connection.inbound_token_digest_of(
        "legacy-token-0123456789abcdef"
    )
    migration.decrypt_inbound_tokens(apps, None)
    legacy.refresh_from_db()
    assert legacy.config["inbound_token"] == "legacy-token-0123456789abcdef"


def test_pretty_json_keeps_a_deep_body_as_text():
    from dashboard.templatetags.syncdeck import pretty_json

    assert pretty_json(NESTED.decode()) == NESTED.decode()
    assert pretty_json('{"a": 1}') == '{\n  "a": 1\n}'
