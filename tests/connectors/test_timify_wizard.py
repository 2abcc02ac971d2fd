"""The wizard's HighLevel ↔ TIMIFY templates: every flow names real operations of the app it
writes to, events its source sends, and a mapping the wizard accepts; the demo's flows too."""

from __future__ import annotations

import pytest

from integrations.connectors.ghl.connector import GHLConnector
from integrations.connectors.timify.connector import TimifyConnector
from integrations.models import Connection
from integrations.sync import mapping
from integrations.wizard import timify_demo
from integrations.wizard.templates import TEMPLATES, for_pair

CONNECTORS = {"a": GHLConnector, "b": TimifyConnector}


@pytest.fixture
def pair(workspace):
    ghl = Connection.objects.create(workspace=workspace, kind="ghl", account_id="loc1")
    app = Connection.objects.create(workspace=workspace, kind="timify", account_id="c1")
    return ghl, app


def test_the_pair_offers_the_three_use_cases_and_the_notes_field():
    ids = {t.id for t in for_pair("ghl", "timify")}
    assert ids == {
        "timify_customers",
        "timify_appointments",
        "timify_appointments_follow_up",
        "timify_notes_tags",
        "timify_ghl_notes_to_field",
        "timify_ghl_appointments",
    }
    assert all("timify" not in t.id for t in for_pair("ghl", "rest"))


def _check(flow: dict) -> None:
    source = CONNECTORS[flow["from"]]
    target = CONNECTORS["b" if flow["from"] == "a" else "a"]
    assert set(flow["trigger_config"]["events"]) <= set(source.event_types), flow
    for step in flow["steps"]:
        for op in filter(None, [step["operation"], step.get("update_operation")]):
            assert op in target.catalog.operations, (flow["name"], op)
        assert mapping.validate(step["mapping"]) == [], flow["name"]
        find = (step.get("params") or {}).get("_find")
        if find:
            assert find["operation"] in target.catalog.operations


def test_every_template_builds_flows_of_real_operations(pair):
    ghl, app = pair
    for template in for_pair("ghl", "timify"):
        assert template.unavailable(ghl, app) == ""
        flows = template.build(ghl, app)
        assert flows, template.id
        for flow in flows:
            _check(flow)


def test_the_demo_flows_are_unique_and_checked(pair):
    ghl, app = pair
    flows = timify_demo.flows_for(ghl, app, calendar_id="cal1")
    assert len({f["name"] for f in flows}) == len({f["key"] for f in flows}) == len(flows) == 7
    for flow in flows:
        _check(flow)
    (appointments,) = [f for f in flows if f["name"].startswith("TIMIFY appointments")]
    assert [s["key"] for s in appointments["steps"]] == ["push", "follow_up"]
    assert TEMPLATES["timify_notes_tags"].build(ghl, app)[0]["trigger_config"]["object"] == (
        "appointment"
    )
