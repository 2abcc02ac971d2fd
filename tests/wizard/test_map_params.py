"""The map step: operation parameters, references, "only when creating", the step picker.

A flow from Your App (side b) to HighLevel (side a) whose step is GHL's create-task: its
path parameter `contactId` is bound from the task's `contact_id` as a contact reference.
"""

from __future__ import annotations

import copy
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from integrations.models import Integration, IntegrationStatus, RecordLink
from integrations.wizard import fields, params
from integrations.wizard.related import APPOINTMENT_TO_GHL, TASK_TO_APP

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = {
    "id": "tk-1",
    "title": "Call back",
    "due_date": "2026-12-01T10:00:00Z",
    "completed": False,
    "contact_id": "c-app-1",
}
TASK_STEP = {
    "key": "push",
    "operation": "create-task",
    "update_operation": "update-task",
    "record_mode": "sync",
    "source_id_path": "trigger.id",
    "result_id_path": "task.id",
    "target_id_param": "taskId",
    "mapping": [
        {"target": "title", "source": "trigger.title", "required": True},
        {"target": "dueDate", "source": "trigger.due_date", "required": True},
        {
            "target": "completed",
            "source": "trigger.completed",
            "transforms": [{"name": "value_map", "map": {"true": True}, "fallback": False}],
            "required": True,
        },
        {"target": "assignedTo", "source": "trigger.owner_id", "ref": "contact", "x-note": "kept"},
    ],
    "params": {
        "contactId": {"source": "trigger.contact_id", "ref": "contact"},
        "_when": {"source": "trigger.completed", "equals": False},
        "_require_link": True,
    },
}
TAGS_STEP = {
    "key": "tags",
    "operation": "add-tags",
    "update_operation": "remove-tags",
    "record_mode": "tags",
    "source_id_path": "trigger.id",
    "target_id_param": "contactId",
    "mapping": [{"target": "tags", "source": "trigger.tags"}],
    "params": {},
}


def make(workspace, ghl_conn, app_conn, steps=None) -> Integration:  # type: ignore[no-untyped-def]
    flow = {
        "key": "t1",
        "name": "Tasks from Your App → HighLevel",
        "enabled": True,
        "from": "b",
        "trigger_kind": "webhook",
        "trigger_config": {"events": ["task.created"]},
        "object_type": "task",
        "steps": copy.deepcopy(steps or [TASK_STEP]),
    }
    draft = {
        "a": str(ghl_conn.code),
        "b": str(app_conn.code),
        "a_kind": "ghl",
        "b_kind": "rest",
        "flows": [flow],
        "step": "map",
        "samples": {"t1": {"record": dict(SAMPLE, tags=["vip"]), "note": "A task."}},
    }
    return Integration.objects.create(
        workspace=workspace, name="Tasks", status=IntegrationStatus.DRAFT, draft=draft
    )


def url(name: str, integration: Integration, query: str = "") -> str:
    return reverse(f"dashboard:wizard_{name}", args=[integration.code]) + query


class FormValues(HTMLParser):
    """What a browser would post for the map form: inputs, checked boxes, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None
        self.in_form = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag == "form" and a.get("id") == "map-form":
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self.data[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("name") and "checked" in a:
            self.data[a["name"]] = a.get("value") or "on"
        elif tag == "select":
            self.select = a.get("name")
            self.data.setdefault(self.select or "", "")
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.data[self.textarea] = ""

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.textarea:
            self.data[self.textarea] += data

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "textarea":
            self.textarea = None
        if tag == "select":
            self.select = None
        if tag == "form":
            self.in_form = False


def form_of(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def step_of(integration: Integration, n: int = 0) -> dict:
    integration.refresh_from_db()
    return integration.draft["flows"][0]["steps"][n]


def test_rules_round_trip_ref_only_on_and_value_map() -> None:
    rules = copy.deepcopy(TASK_TO_APP + APPOINTMENT_TO_GHL + TASK_STEP["mapping"])
    for rule in rules:
        assert fields.Row.from_rule(rule).to_rule() == rule
    # Through a post, as the template names the cells.
    row = fields.Row.from_rule(APPOINTMENT_TO_GHL[-1])
    data = {
        "rows": "1",
        "r0-target": row.target,
        "r0-source": row.source,
        "r0-ref": row.ref,
        "r0-only_on": "create",
        "r0-required": "1",
    }
    assert fields.rules_of(fields.rows_from_post(data)) == [APPOINTMENT_TO_GHL[-1]]
    value_map = fields.Row.from_rule(TASK_TO_APP[3])
    assert "TaskComplete" in value_map.value_map  # the editor shows a value map as lines
    assert value_map.to_rule()["transforms"] == TASK_TO_APP[3]["transforms"]


def test_bad_json_transforms_are_reported_not_raised() -> None:
    nested = "[" * 3000 + "]" * 3000
    for text in (nested, '[{"name": "value_map", "map": ["x"]}]', "[1, 2]"):
        rule = fields.Row(target="t", source="trigger.x", transforms=text).to_rule()
        result = fields.check([rule], {"x": "1"}, [])  # type: ignore[list-item]
        assert any("unknown transform" in p for p in result.problems)


def test_the_page_saved_as_shown_changes_nothing(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    before = step_of(integration)
    page = client.get(url("map", integration, "?flow=t1"))
    assert page.status_code == 200
    data = form_of(page.content.decode())
    answer = client.post(url("map", integration, "?flow=t1"), data)
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    assert step_of(integration) == before  # ref, only_on, value_map, extra keys, _options


def test_it_shows_the_operation_parameters(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    html = client.get(url("map", integration, "?flow=t1")).content.decode()
    assert "Operation parameters" in html
    assert 'id="param-contactId"' in html and 'value="trigger.contact_id"' in html
    assert '<option value="contact" selected>contact id</option>' in html
    assert 'id="param-taskId"' in html and "Filled with the linked record" in html
    assert "_when" not in html and "_require_link" not in html
    assert "Runs only when <code>trigger.completed</code>" in html
    # The preview shows the reference, not Your App's id sent as is.
    assert "contact:c-app-1 → (the linked id in" in html
    assert "not linked yet: the contact is synced first" in html


def test_saving_without_a_required_path_parameter_is_refused(  # type: ignore[no-untyped-def]
    client, owner, workspace, ghl_conn, app_conn
):
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    before = step_of(integration)
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    data.update({"p0-source": "", "p0-ref": "", "r0-source": "trigger.title_typed"})
    answer = client.post(url("map", integration, "?flow=t1"), data)
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "parameter contactId: a required path parameter of create-task" in html
    assert 'value="trigger.title_typed"' in html  # what was typed is kept
    assert step_of(integration) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"p0-ref": "invoice"}, "&#x27;invoice&#x27; is not an object type"),
        ({"p0-source": "trigger.[x"}, "bad path segment"),
        ({"p0-const": "abc"}, "give a source field or a constant, not both"),
        ({"r3-ref": "invoice"}, "&#x27;invoice&#x27; is not an object type of the app"),
    ],
)
def test_it_validates_parameters_and_references(  # type: ignore[no-untyped-def]
    client, owner, workspace, ghl_conn, app_conn, changes, message
):
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    answer = client.post(url("map", integration, "?flow=t1"), {**data, **changes})
    assert answer.status_code == 400 and message in answer.content.decode()


def test_it_saves_a_parameter_bound_by_reference(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    step = dict(TASK_STEP, params={"_when": TASK_STEP["params"]["_when"]})
    integration = make(workspace, ghl_conn, app_conn, [step])
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    assert data["p0-name"] == "contactId" and data["p0-source"] == ""
    data.update({"p0-source": "trigger.contact_id", "p0-ref": "contact", "r3-only_on": "create"})
    data["taskId"] = "smuggled"
    answer = client.post(url("map", integration, "?flow=t1"), data)
    assert answer.status_code == 302
    saved = step_of(integration)
    assert saved["params"] == {
        "_when": {"source": "trigger.completed", "equals": False},
        "contactId": {"source": "trigger.contact_id", "ref": "contact"},
    }
    assert saved["mapping"][3]["only_on"] == "create"


def test_the_preview_shows_the_linked_id(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    RecordLink.objects.create(
        workspace=workspace,
        object_type="contact",
        left=ghl_conn,
        left_record="ghl-c-9",
        right=app_conn,
        right_record="c-app-1",
    )
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    data.update({"r4-target": "contact", "r4-source": "trigger.contact_id", "r4-ref": "contact"})
    data["rows"] = "5"
    answer = client.post(url("preview", integration), data, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "&quot;contact&quot;: &quot;ghl-c-9&quot;" in html and "(linked)" in html
    assert "c-app-1 of" in html and "not linked yet" not in html


def test_the_step_picker(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn, [TASK_STEP, TAGS_STEP])
    html = client.get(url("map", integration, "?flow=t1")).content.decode()
    assert "?flow=t1&amp;step=1" in html and "2. tags (tags)" in html
    page = client.get(url("map", integration, "?flow=t1&step=1")).content.decode()
    data = form_of(page)
    assert data["step"] == "1" and data["r0-target"] == "tags"
    assert 'id="param-contactId"' in page and "Filled with the linked record" in page
    # A tags step maps tags only.
    bad = client.post(url("map", integration, "?flow=t1&step=1"), {**data, "r0-target": "email"})
    assert bad.status_code == 400 and "this step maps only tags" in bad.content.decode()
    data["r0-source"] = "trigger.labels"
    answer = client.post(url("map", integration, "?flow=t1&step=1"), data)
    assert answer.status_code == 302
    assert step_of(integration, 1)["mapping"] == [{"target": "tags", "source": "trigger.labels"}]
    assert step_of(integration, 0) == TASK_STEP
    # Out of range or not a number: ignored on a page, refused on a save.
    for query in ("?flow=t1&step=7", "?flow=t1&step=x", "?flow=t1&step=99999999999"):
        page = client.get(url("map", integration, query))
        assert page.status_code == 200 and 'name="step" value="0"' in page.content.decode()
    for step in ("7", "-1", "x"):
        answer = client.post(url("map", integration, "?flow=t1"), {**data, "step": step})
        assert answer.status_code == 400, step
        answer = client.post(url("preview", integration), {**data, "step": step})
        assert answer.status_code == 400, step
    assert step_of(integration, 1)["mapping"] == [{"target": "tags", "source": "trigger.labels"}]


def test_params_count_is_bounded(client, owner, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = make(workspace, ghl_conn, app_conn)
    data = form_of(client.get(url("map", integration, "?flow=t1")).content.decode())
    answer = client.post(url("map", integration, "?flow=t1"), {**data, "params": "10" * 6})
    assert answer.status_code == 400
    assert f"less than or equal to {params.MAX_PARAMS}" in answer.content.decode()


def test_it_checks_ownership(client, outsider, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    integration = make(workspace, ghl_conn, app_conn, [TASK_STEP, TAGS_STEP])
    client.force_login(outsider)
    assert client.get(url("map", integration, "?flow=t1&step=1")).status_code == 404
    assert client.post(url("map", integration, "?flow=t1"), {"step": "1"}).status_code == 404
    assert client.post(url("preview", integration), {"step": "1"}).status_code == 404


def test_it_forbids_viewers(client, viewer, workspace, ghl_conn, app_conn):  # type: ignore[no-untyped-def]
    integration = make(workspace, ghl_conn, app_conn, [TASK_STEP, TAGS_STEP])
    client.force_login(viewer)
    assert client.get(url("map", integration, "?flow=t1&step=1")).status_code == 403
    assert client.post(url("map", integration, "?flow=t1"), {"step": "1"}).status_code == 403
    assert client.post(url("preview", integration), {"step": "1"}).status_code == 403
    assert step_of(integration, 0) == TASK_STEP
