"""References: a child is written under the contact linked to its parent, or not at all."""

from __future__ import annotations

import pytest
import requests

from integrations import demo
from integrations.models import Flow, Run, RunStatus
from integrations.sync import dispatch
from integrations.wizard import starter
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_way(ghl_sandbox, workspace):
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    ghl = pit_connection(workspace)
    app = demo.yourapp_connection(workspace, base)
    integration = starter.build_two_way(workspace, ghl, app, calendar_id="c", name="refs")
    contact = ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    return integration, ghl, app, contact


def task_flow(integration) -> Flow:
    return integration.flows.get(name__startswith="HighLevel tasks")


def run_task(integration, payload) -> Run:
    run = dispatch.create_run(
        task_flow(integration), payload, trigger="webhook", event_type="TaskCreate"
    )
    run.refresh_from_db()
    return run


def test_a_task_without_its_contact_fails_clearly(two_way):
    integration, *_ = two_way
    run = run_task(integration, {"id": "t1", "title": "Call", "dueDate": "2031-01-01"})
    assert run.status == RunStatus.FAILED and run.error_kind == "validation"
    assert "contact reference at trigger.contactId is missing" in run.error
    assert not run.steps.exists()  # nothing was written anywhere


def test_no_flow_for_the_parent_means_no_orphan(two_way):
    integration, _, app, contact = two_way
    integration.flows.filter(object_type="contact").update(enabled=False)
    run = run_task(
        integration, {"id": "t2", "title": "Call", "contactId": contact["id"], "dueDate": ""}
    )
    assert run.status == RunStatus.FAILED
    assert "no enabled flow of this integration syncs contacts" in run.error
    tasks = requests.get(
        app.connector.base_url + "/tasks",
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    ).json()["data"]
    assert tasks == []


def test_a_parent_gone_from_its_app_means_no_orphan(two_way):
    integration, *_ = two_way
    run = run_task(integration, {"id": "t3", "title": "Call", "contactId": "gone-contact"})
    assert run.status == RunStatus.FAILED
    assert "could not be read from" in run.error and "orphan" in run.error


def test_the_other_apps_id_is_never_sent(two_way):
    """A task already linked under its contact: the update carries Your App's contact id."""
    integration, ghl, app, contact = two_way
    first = run_task(integration, {"id": "t4", "title": "Call", "contactId": contact["id"]})
    assert first.status == RunStatus.SUCCEEDED
    again = run_task(integration, {"id": "t4", "title": "Call back", "contactId": contact["id"]})
    sent = again.steps.get(operation="task.update").request_body
    assert contact["id"] not in sent and '"contact_id": "ya_' in sent
