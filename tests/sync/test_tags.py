"""Tags as additions and removals against the set both apps last agreed on."""

from __future__ import annotations

import pytest
import requests

from integrations import demo
from integrations.models import RecordLink, Run
from integrations.sync import dispatch, tags
from integrations.wizard import starter
from tests.connectors.conftest import pit_connection


def test_difference_is_case_blind_and_first_sync_only_adds():
    assert tags.difference(None, ["VIP", "new"]) == (["VIP", "new"], [])
    assert tags.difference(["vip", "old"], ["VIP", "new"]) == (["new"], ["old"])
    assert tags.difference(["a"], "a, b") == (["b"], [])
    assert tags.difference(["a"], None) == ([], ["a"])


@pytest.mark.django_db(transaction=True)
def test_a_stale_event_does_not_undo_a_newer_tag(ghl_sandbox, workspace):
    """Your App's event about our own create (no tags yet) arrives after the tag write:
    the step reads the contact's tags now, so it removes nothing in GHL."""
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    ghl = pit_connection(workspace)
    app = demo.yourapp_connection(workspace, base)
    integration = starter.build_two_way(workspace, ghl, app, calendar_id="c", name="t")
    forward = integration.flows.get(name__startswith="New or updated HighLevel contact")
    back = integration.flows.get(name__startswith="Contact from")
    contact = ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    ghl.connector.call("add-tags", contactId=contact["id"], body={"tags": ["vip"]})
    fresh = ghl.connector.get_record("contact", contact["id"])
    dispatch.create_run(forward, fresh, trigger="webhook", event_type="ContactTagUpdate")
    link = RecordLink.objects.get(object_type="contact", left_record=contact["id"])
    assert link.synced_values["tags"] == ["vip"]
    stale = app.connector.get_record("contact", link.right_record)
    stale["tags"] = []  # what Your App's contact.created said, before our tag write
    run = dispatch.create_run(back, stale, trigger="webhook", event_type="contact.created")
    run.refresh_from_db()
    assert "tags unchanged" in " ".join(run.events.values_list("message", flat=True))
    assert "vip" in ghl.connector.get_record("contact", contact["id"])["tags"]
    assert Run.objects.filter(flow=back).count() == 1
