"""The demo seeds all six use cases for GHL ↔ Your App, and `demo_info` tells anyone how to
drive it as the real apps would."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.models import Integration
from integrations.wizard import starter

pytestmark = pytest.mark.django_db


def test_the_demo_has_every_use_case_and_reseeding_keeps_flows(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    integration = Integration.objects.get(name=starter.TWO_WAY_NAME)
    flows = {f.name: f for f in integration.flows.prefetch_related("steps")}
    kinds = {(f.object_type, f.source.kind) for f in flows.values()}
    # 1-2 contacts both ways, 3 tasks (out, completed back), 4 notes and 5 appointments
    # both ways; 6 tags as a step of both contact flows.
    assert kinds >= {
        ("contact", "ghl"),
        ("contact", "rest"),
        ("task", "ghl"),
        ("task", "rest"),
        ("note", "ghl"),
        ("note", "rest"),
        ("appointment", "ghl"),
        ("appointment", "rest"),
    }
    tag_steps = [s for f in flows.values() for s in f.steps.all() if s.record_mode == "tags"]
    assert {s.flow.source.kind for s in tag_steps} == {"ghl", "rest"}
    booking = next(
        f for f in flows.values() if f.object_type == "appointment" and f.source.kind == "rest"
    )
    calendar = next(r for r in booking.steps.get().mapping if r["target"] == "calendarId")
    assert calendar["const"]  # a real calendar of the sandbox location
    ids = {name: f.pk for name, f in flows.items()}
    call_command("seed_demo", verbosity=0)
    again = dict(Integration.objects.get(pk=integration.pk).flows.values_list("name", "pk"))
    assert again == ids  # re-seeding keeps the flows (and their history)


def test_demo_info_prints_credentials_and_inbound_urls(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    info = json.loads(out.getvalue())
    assert info["sandboxes"]["ghl"]["private_integration_token"].startswith("pit-")
    assert info["sandboxes"]["ghl"]["calendars"]
    assert info["sandboxes"]["yourapp"]["api_key"]
    (entry,) = [i for i in info["inbound"]["integrations"] if i["name"] == starter.TWO_WAY_NAME]
    app = next(c for c in entry["connections"] if c["kind"] == "rest")
    assert "/webhooks/in/" in app["inbound_url"] and app["webhook_secret"]


def test_demo_info_refuses_outside_the_demo(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demo"):
        call_command("demo_info")


def test_demo_info_prints_the_time_to_pet_feeds_and_inbound_url(settings):
    from integrations.models import Connection

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    info = json.loads(out.getvalue())["sandboxes"]["timetopet"]
    conn = Connection.objects.get(kind="timetopet", label="Time To Pet (demo)")
    site = settings.SITE_URL
    assert info["company_feed"].startswith(site + "/sandbox/timetopet/")
    assert info["staff_feeds"] and all(
        url.startswith(site + "/sandbox/timetopet/") for url in info["staff_feeds"].values()
    )
    assert info["inbound_url"] == site + conn.connector.inbound_path
    assert info["webhook_secret"] == conn.credentials["webhook_secret"]
    assert info["secret_header"] == "X-Webhook-Secret"
    assert info["clients_csv"].startswith(site + "/sandbox/timetopet/")
    from django.test import Client

    feed = Client().get(info["company_feed"].removeprefix(site))
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
