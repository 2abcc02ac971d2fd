"""A flow of the Opportunities group, made as the wizard makes one from scratch, runs end to
end: an opportunity moved to another stage in HighLevel (the sandbox signs
OpportunityStageUpdate to our receiver) becomes a contact in Your App; and the other way,
a Your App contact becomes an opportunity in HighLevel through the catalog's
create-opportunity action, its body mapped field by field."""

from __future__ import annotations

import pytest
import requests
from django.core.management import call_command

from integrations import demo
from integrations.models import Integration, IntegrationStatus, Run, RunStatus
from integrations.wizard import drafts, publish
from tests.connectors.conftest import pit_connection
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = (
    "contacts.readonly contacts.write opportunities.readonly opportunities.write "
    "conversations/message.write"
)


@pytest.fixture
def world(ghl_sandbox, workspace, settings, owner):
    settings.SANDBOX_GHL_WEBHOOK_SYNC = True
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/yourapp/_control/reset", timeout=10)
    requests.post(
        base + "/sandbox/yourapp/_control/config",
        json={"error_rate": 0, "rate_429": 0, "slow_rate": 0},
        timeout=10,
    )
    ghl = pit_connection(workspace, scopes=SCOPES)
    app = demo.yourapp_connection(workspace, base)
    integration = Integration.objects.create(
        workspace=workspace, name="Deals", status=IntegrationStatus.DRAFT, version=0
    )
    draft = {"a": str(ghl.code), "b": str(app.code), "a_kind": "ghl", "b_kind": "rest"}
    return {"base": base, "ghl": ghl, "app": app, "integration": integration, "draft": draft}


def _publish(world, owner, flow_args: dict, mapping: list[dict]) -> None:
    integration, draft = world["integration"], world["draft"]
    s = drafts.sides(integration, draft)
    flow = drafts.scratch_flow(draft, s, interval=5, update_action="", **flow_args)
    flow["steps"][0]["mapping"] = mapping
    publish.publish(integration, draft, owner)


def test_an_opportunity_stage_change_becomes_a_your_app_contact(world, owner):
    _publish(
        world,
        owner,
        {
            "side": "a",
            "trigger_kind": "webhook",
            "events": ["OpportunityStageUpdate"],
            "poll_operation": "",
            "action": "contact.create",
            "object_type": "opportunity",
        },
        [
            {"target": "first_name", "source": "trigger.name"},
            {"target": "email", "const": "deal.moved@example.com"},
        ],
    )
    call_command("sandbox_subscribe", world["base"] + "/webhooks/ghl/", "--exclusive", verbosity=0)
    ghl = world["ghl"].connector
    pipeline = ghl.call("get-pipelines")["pipelines"][0]
    deal = ghl.call("search-opportunity")["opportunities"][0]
    other = next(s["id"] for s in pipeline["stages"] if s["id"] != deal.get("pipelineStageId"))
    ghl.call("update-opportunity", id=deal["id"], body={"pipelineStageId": other})
    run = wait_for(
        lambda: Run.objects.filter(
            flow__integration=world["integration"], status=RunStatus.SUCCEEDED
        ).first(),
        what="the stage change's run",
    )
    assert run.event_type == "OpportunityStageUpdate"
    app = requests.get(
        world["base"] + "/sandbox/yourapp/api/contacts",
        params={"email": "deal.moved@example.com"},
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    ).json()["data"]
    assert app and app[0]["first_name"] == deal["name"]


def test_a_your_app_contact_becomes_a_ghl_opportunity(world, owner):
    ghl = world["ghl"].connector
    pipeline = ghl.call("get-pipelines")["pipelines"][0]
    contact = ghl.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    _publish(
        world,
        owner,
        {
            "side": "b",
            "trigger_kind": "webhook",
            "events": ["contact.created"],
            "poll_operation": "",
            "action": "create-opportunity",
            "object_type": "contact",
        },
        [
            {"target": "name", "source": "trigger.first_name"},
            {"target": "pipelineId", "const": pipeline["id"]},
            {"target": "status", "const": "open"},
            {"target": "contactId", "const": contact["id"]},
        ],
    )
    app = world["app"]
    inbound = f"{world['base']}/webhooks/in/{app.inbound_token}/"
    requests.post(
        world["base"] + "/sandbox/yourapp/_control/config",
        json={"subscribers": [inbound]},
        timeout=10,
    )
    requests.post(
        world["base"] + "/sandbox/yourapp/api/contacts",
        json={"first_name": "Opal", "email": "opal@example.com"},
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    )
    wait_for(
        lambda: Run.objects.filter(
            flow__integration=world["integration"], status=RunStatus.SUCCEEDED
        ).exists(),
        what="the contact's run",
    )
    names = [o["name"] for o in ghl.call("search-opportunity")["opportunities"]]
    assert "Opal" in names


def test_an_inbound_message_becomes_a_your_app_contact(world, owner):
    """Conversations & Messages: HighLevel's InboundMessage (signed by the sandbox when a
    message arrives through POST /conversations/messages/inbound) starts a flow."""
    _publish(
        world,
        owner,
        {
            "side": "a",
            "trigger_kind": "webhook",
            "events": ["InboundMessage"],
            "poll_operation": "",
            "action": "contact.create",
            "object_type": "message",
        },
        [
            {"target": "first_name", "source": "trigger.body"},
            {"target": "email", "const": "inbound@example.com"},
        ],
    )
    call_command("sandbox_subscribe", world["base"] + "/webhooks/ghl/", "--exclusive", verbosity=0)
    ghl = world["ghl"]
    contact = ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    sent = requests.post(
        world["base"] + "/sandbox/ghl/conversations/messages/inbound",
        json={
            "type": "SMS",
            "contactId": contact["id"],
            "conversationId": "conv-1",
            "conversationProviderId": "provider-1",
            "message": "Hello",
        },
        headers={
            "Authorization": f"Bearer {ghl.credentials['pit']}",
            "Version": "2021-04-15",
        },
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    run = wait_for(
        lambda: Run.objects.filter(
            flow__integration=world["integration"], status=RunStatus.SUCCEEDED
        ).first(),
        what="the inbound message's run",
    )
    assert run.event_type == "InboundMessage"
    app = requests.get(
        world["base"] + "/sandbox/yourapp/api/contacts",
        params={"email": "inbound@example.com"},
        headers={"Authorization": f"Bearer {demo.YOURAPP_API_KEY}"},
        timeout=10,
    ).json()["data"]
    assert app and app[0]["first_name"] == "Hello"
