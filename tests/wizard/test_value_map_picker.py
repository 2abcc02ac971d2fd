"""The mapping editor offers value maps (typed as `from = to` lines, kept through a re-save
whatever their values' types) and a picker of the sample record's fields (nested ones and
custom fields by name) beside the free-text source."""

from __future__ import annotations

import copy

import pytest

from integrations.wizard import fields, valuemap
from tests.wizard.test_map_params import TAGS_STEP, TASK_STEP, form_of, make, step_of, url

pytestmark = pytest.mark.django_db(transaction=True)

# Tags: "vip" becomes two tags, anything else none (a list value and a list fallback).
TAGS_WITH_MAP = dict(
    copy.deepcopy(TAGS_STEP),
    mapping=[
        {
            "target": "tags",
            "source": "trigger.tags",
            "transforms": [
                {"name": "first"},
                {"name": "value_map", "map": {"vip": ["vip", "gold"]}, "fallback": []},
            ],
        }
    ],
)


def test_a_value_map_with_list_values_survives_a_re_save(  # type: ignore[no-untyped-def]
    client, owner, workspace, ghl_conn, app_conn
):
    # Before the editor knew value maps, this rule came back as an unknown transform.
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn, steps=[TAGS_WITH_MAP])
    before = step_of(integration)
    page = client.get(url("map", integration, "?flow=t1"))
    html = page.content.decode()
    assert "vip = [&quot;vip&quot;, &quot;gold&quot;]" in html  # shown as lines
    answer = client.post(url("map", integration, "?flow=t1"), form_of(html))
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    assert step_of(integration) == before


def test_a_value_map_is_typed_in_the_row(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    row = next(k[:-7] for k, v in data.items() if k.endswith("-target") and v == "title")
    data[f"{row}-value_map"] = "Call back = Phone the customer\nother = 3"
    data[f"{row}-map_else"] = '"unknown"'
    preview = client.post(url("preview", integration), data).content.decode()
    assert "Phone the customer" in preview
    assert client.post(url("map", integration, "?flow=t1"), data).status_code == 302
    rule = next(r for r in step_of(integration)["mapping"] if r["target"] == "title")
    assert rule["transforms"] == [
        {
            "name": "value_map",
            "map": {"Call back": "Phone the customer", "other": 3},
            "fallback": "unknown",
        }
    ]
    # The completed row's own map (true → True, otherwise False) is untouched.
    completed = next(r for r in step_of(integration)["mapping"] if r["target"] == "completed")
    assert completed == TASK_STEP["mapping"][2]


def test_a_line_without_equals_is_refused_not_dropped(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    before = step_of(integration)
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    row = next(k[:-7] for k, v in data.items() if k.endswith("-target") and v == "title")
    data[f"{row}-value_map"] = "Call back = Phone\njust words"
    answer = client.post(url("map", integration, "?flow=t1"), data)
    assert answer.status_code == 400
    assert "value map lines read `from = to`, not: just words" in answer.content.decode()
    assert step_of(integration) == before


def test_the_picker_lists_the_samples_fields_and_fills_the_source(  # type: ignore[no-untyped-def]
    client, owner, workspace, ghl_conn, app_conn
):
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    draft = integration.draft
    draft["samples"]["t1"]["record"].update(
        {
            "owner": {"name": "Oda", "email": "oda@example.com"},
            "customFields": [{"id": "cf9", "value": "Gold"}],
        }
    )
    integration.draft = draft
    integration.save()
    html = client.get(url("map", integration, "?flow=t1")).content.decode()
    assert '<optgroup label="Nested fields"><option value="trigger.owner.name">' in html
    assert '<option value="trigger.customFields[id=cf9].value">' in html
    data = form_of(html)
    row = next(k[:-7] for k, v in data.items() if k.endswith("-target") and v == "title")
    data[f"{row}-source"] = ""
    data[f"{row}-pick"] = "trigger.owner.name"
    assert client.post(url("map", integration, "?flow=t1"), data).status_code == 302
    rule = next(r for r in step_of(integration)["mapping"] if r["target"] == "title")
    assert rule["source"] == "trigger.owner.name"


@pytest.mark.parametrize(
    "table",
    [
        {"a": "b", "true": True, "n": 3, "list": ["x", 1], "none": None},
        {"quoted": "true", "spaced": " padded ", "json-ish": "[not json", "eq": "x = y"},
    ],
)
def test_value_map_text_keeps_types(table) -> None:  # type: ignore[no-untyped-def]
    text = valuemap.to_text(table)
    assert valuemap.from_text(text) == (table, [])
    rule = {
        "target": "t",
        "source": "trigger.x",
        "transforms": [{"name": "value_map", "map": table}],
    }
    assert fields.Row.from_rule(rule).to_rule() == rule
