"""The stand-in for PT Distinction's Zapier side: the Catch Hook answers as Zapier does and
keeps what it got, Zaps post deliveries with the secret header, the page shows both; and
the demo seeds "PT Distinction ↔ GHL (demo)" with demo_info telling how to drive it."""

from __future__ import annotations

import io
import json

import pytest
import requests
from django.core.management import call_command

from integrations.models import Connection, Integration
from integrations.wizard import ptdistinction_demo

HOOK = "/sandbox/ptdistinction/hooks/catch/1234567/addclient/"
CONTROL = "/sandbox/ptdistinction/_control"


@pytest.fixture
def zap(live_server):
    requests.post(live_server.url + CONTROL + "/reset", timeout=10)
    return live_server.url


def test_the_catch_hook_answers_like_zapier_and_records_the_body(zap):
    answer = requests.post(zap + HOOK, json={"email": "a@x.io", "first_name": "A"}, timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "success" and body["id"] == body["request_id"] == body["attempt"]
    (row,) = requests.get(zap + CONTROL + "/caught", timeout=10).json()["caught"]
    assert row["data"] == {"email": "a@x.io", "first_name": "A"}
    assert row["request_id"] == body["request_id"] and row["hook"] == "1234567/addclient"
    # Zapier takes any body; a non-JSON one is kept as text.
    assert requests.post(zap + HOOK, data="a=1", timeout=10).status_code == 200
    assert requests.get(zap + HOOK, timeout=10).status_code == 405


def test_a_zap_posts_its_data_rows_as_a_json_delivery(zap, live_server):
    # The header itself is checked end to end (tests/integrations/test_ptdistinction_e2e.py).
    target = live_server.url + HOOK.replace("addclient", "syncdeck")
    config = {"target_url": target, "webhook_secret": "s3cret"}
    assert requests.post(zap + CONTROL + "/config", json=config, timeout=10).status_code == 200
    sent = requests.post(
        zap + CONTROL + "/send",
        json={
            "trigger": "client_added_to_group",
            "fields": {"email": "g@x.io", "first_name": "G", "group": "Beginners", "x": "y"},
        },
        timeout=30,
    ).json()
    assert sent["status_code"] == 200
    assert json.loads(sent["body"]) == {
        "event": "client_added_to_group",
        "email": "g@x.io",
        "first_name": "G",
        "group": "Beginners",
    }
    bad = requests.post(zap + CONTROL + "/config", json={"target_url": "ftp://x"}, timeout=10)
    assert bad.status_code == 422 and "target_url" in bad.json()["fields"]
    unknown = requests.post(zap + CONTROL + "/send", json={"trigger": "nope"}, timeout=10)
    assert unknown.status_code == 422


def test_the_page_sends_a_delivery_and_lists_both_sides(zap, client):
    requests.post(zap + HOOK, json={"email": "caught@x.io"}, timeout=10)
    page = client.get("/sandbox/ptdistinction/_ui/")
    html = page.content.decode()
    assert page.status_code == 200 and "caught@x.io" in html and "Client Added to Group" in html
    sent = client.post(
        "/sandbox/ptdistinction/_ui/send", {"trigger": "client_added", "email": "ui@x.io"}
    )
    assert sent.status_code == 302
    html = client.get("/sandbox/ptdistinction/_ui/").content.decode()
    assert "ui@x.io" in html and "no target URL is configured" in html
    invalid = client.post("/sandbox/ptdistinction/_ui/send", {"trigger": "client_added"})
    assert invalid.status_code == 400


@pytest.mark.django_db
def test_the_demo_seeds_the_integration_and_demo_info_prints_how_to_drive_it(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    integration = Integration.objects.get(name=ptdistinction_demo.NAME)
    flows = {f.name: f for f in integration.flows.prefetch_related("steps")}
    assert len(flows) == 3
    assert {f.source.kind for f in flows.values()} == {"ghl", "ptdistinction"}
    ids = {name: f.pk for name, f in flows.items()}
    call_command("seed_demo", verbosity=0)
    assert dict(integration.flows.values_list("name", "pk")) == ids
    assert Connection.objects.filter(kind="ptdistinction").count() == 1

    out = io.StringIO()
    call_command("demo_info", stdout=out)
    info = json.loads(out.getvalue())["sandboxes"]["ptdistinction"]
    conn = Connection.objects.get(kind="ptdistinction")
    assert info["inbound_url"].endswith(conn.connector.inbound_path)
    assert info["webhook_secret"] == conn.credentials["webhook_secret"]
    assert info["secret_header"] == "X-Webhook-Secret"
    assert info["catch_hook_url"] == conn.connector.hook_url
