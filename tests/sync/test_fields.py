"""Field by field decisions (integrations/sync/fields.plan), without any app: what a run
writes when the source, the target or both changed a field since the last sync."""

from __future__ import annotations

import pytest

from integrations.models import Connection, Flow, RecordLink, SyncPolicy
from integrations.sync import fields

GHL = Connection(kind="ghl")
APP = Connection(kind="rest")
RULES = [
    {"target": "phone", "source": "trigger.phone"},
    {"target": "company", "source": "trigger.companyName"},
    {"target": "tags", "const": ["from-ghl"]},
]
AGREED = {
    "phone": {"left": "+1500", "right": "+1500"},
    "companyName": {"left": "Acme", "right": "Acme"},
}


def decide(source, target, *, policy="ask", per_field=None, from_app=False, state=AGREED):  # type: ignore[no-untyped-def]
    """A GHL → Your App run (or Your App → GHL with from_app) on a GHL-left link."""
    if from_app:
        rules = [
            {"target": "phone", "source": "trigger.phone"},
            {"target": "companyName", "source": "trigger.company"},
        ]
        flow, target_conn = Flow(source=APP), GHL
    else:
        rules, flow, target_conn = RULES, Flow(source=GHL), APP
    tracked, _ = fields.split(rules, flow.source, target_conn)
    payload = {f.target_key: source.get(f.source_key) for f in tracked}
    return fields.plan(
        flow=flow,
        target=target_conn,
        link=RecordLink(synced_values={"fields": state}),
        source_is_left=not from_app,
        tracked=tracked,
        source_record=source,
        payload=payload,
        target_record=target,
        policy=SyncPolicy(default=policy, fields=per_field or {}),
        back_step=None,
    )


def test_names_are_highlevels_and_constants_are_not_tracked():
    tracked, other = fields.split(RULES, GHL, APP)
    assert [(f.name, f.source_key, f.target_key) for f in tracked] == [
        ("phone", "phone", "phone"),
        ("companyName", "companyName", "company"),
    ]
    assert other == [RULES[2]]
    back, _ = fields.split([{"target": "companyName", "source": "trigger.company"}], APP, GHL)
    assert back[0].name == "companyName"


def test_only_the_source_changed_is_written_and_the_target_change_is_left_alone():
    plan = decide(
        {"phone": "+1511", "companyName": "Acme"}, {"phone": "+1500", "company": "Target Co"}
    )
    assert plan.write == {"phone": "+1511"}  # the company change in the target stays
    assert plan.state["phone"] == {"left": "+1511", "right": "+1511"}
    assert "companyName" not in plan.state and not plan.conflicts


def test_both_changed_to_the_same_value_is_no_conflict():
    plan = decide({"phone": "+1599", "companyName": "Acme"}, {"phone": "+1599", "company": "Acme"})
    assert not plan.write and not plan.conflicts
    assert plan.state["phone"] == {"left": "+1599", "right": "+1599"}


@pytest.mark.parametrize(
    ("policy", "written", "winner"),
    [("ghl", {"phone": "+1511"}, "left"), ("other", {}, "right"), ("ask", {}, "")],
)
def test_both_changed_under_a_policy(policy, written, winner):
    plan = decide(
        {"phone": "+1511", "companyName": "Acme"},
        {"phone": "+1522", "company": "Acme"},
        policy="newest",
        per_field={"phone": {"policy": policy}},
    )
    assert plan.write == written
    (conflict,) = plan.conflicts
    assert conflict["field"] == "phone" and conflict["winner"] == winner
    assert conflict["src_value"] == "+1511" and conflict["tgt_value"] == "+1522"
    if policy == "ask":
        assert "phone" not in plan.state  # still waiting: the agreed value is kept


def test_newest_change_wins_by_each_apps_modified_time():
    source = {"phone": "+1511", "dateUpdated": "2026-01-01T10:00:05.000Z"}
    older = {"phone": "+1522", "updated_at": "2026-01-01T10:00:01Z"}
    newer = {"phone": "+1522", "updated_at": "2026-01-01T10:00:09Z"}
    assert decide(source, older, policy="newest").write == {"phone": "+1511"}
    assert decide(source, newer, policy="newest").write == {}
    assert decide(source, newer, policy="newest").conflicts[0]["winner"] == "right"


def test_a_one_way_field_never_flows_back_and_wins_its_own_way():
    per_field = {"phone": {"policy": "ask", "direction": "from_ghl"}}
    back = decide(
        {"phone": "+1533", "company": "Acme"},
        {"phone": "+1500", "companyName": "Acme"},
        per_field=per_field,
        from_app=True,
    )
    assert back.write == {} and not back.state  # Your App's phone never goes to GHL
    out = decide(
        {"phone": "+1511", "companyName": "Acme"},
        {"phone": "+1533", "company": "Acme"},
        per_field=per_field,
    )
    assert out.write == {"phone": "+1511"}  # and GHL's wins without asking


def test_a_field_new_to_the_mapping_is_written():
    plan = decide(
        {"phone": "+1500", "companyName": "New Co"},
        {"phone": "+1500", "company": ""},
        state={"phone": AGREED["phone"]},
    )
    assert plan.write == {"company": "New Co"}
    assert plan.target_changes == {"company": ["", "New Co"]}
