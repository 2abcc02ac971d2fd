"""The wizard for HighLevel ↔ PT Distinction: the chosen connection's inbound URL and a link
to the copy-paste Zap instructions, the three templates (Add Client only with a Catch Hook),
and the templates' flows published as they are."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Connection, Flow
from integrations.wizard import drafts, publish
from integrations.wizard.ptdistinction import TEMPLATES

pytestmark = pytest.mark.django_db


def ptd(workspace, hook: str = "") -> Connection:
    conn = Connection(workspace=workspace, kind="ptdistinction", label="PT Distinction")
    conn.connector.connect_with("shared_secret", {"add_client_hook_url": hook})
    conn.save()
    return conn


@pytest.fixture
def ghl(workspace):
    return Connection.objects.create(
        workspace=workspace, kind="ghl", label="Northside", account_id="loc-1"
    )


def draft_for(workspace, ghl, b):  # type: ignore[no-untyped-def]
    integration = drafts.new_draft(workspace, "PTD", "ghl", "ptdistinction")
    integration.draft = {**integration.draft, "a": str(ghl.code), "b": str(b.code)}
    integration.save()
    return integration


def test_the_credentials_step_shows_where_the_zaps_post(client, owner, workspace, ghl):
    b = ptd(workspace)
    integration = draft_for(workspace, ghl, b)
    client.force_login(owner)
    page = client.get(reverse("dashboard:wizard_credentials", args=[integration.code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert b.inbound_token in html and "X-Webhook-Secret" in html
    assert reverse("dashboard:connection_zapier", args=[b.code]) in html
    assert "contacts only" in html.lower()
    assert b.credentials["webhook_secret"] not in html


def test_the_flows_step_offers_the_three_templates(client, owner, workspace, ghl):
    integration = draft_for(workspace, ghl, ptd(workspace))
    client.force_login(owner)
    html = client.get(reverse("dashboard:wizard_flows", args=[integration.code])).content.decode()
    for template in TEMPLATES.values():
        assert template.name in html
    assert "no Zapier Catch Hook URL" in html  # Add Client needs the hook


def test_add_client_is_offered_once_a_catch_hook_is_set(workspace, ghl):
    without, with_hook = ptd(workspace), ptd(workspace, "https://hooks.zapier.com/hooks/catch/1/a/")
    template = TEMPLATES["ghl_contact_to_ptd_add_client"]
    assert "Catch Hook" in template.unavailable(ghl, without)
    assert template.unavailable(ghl, with_hook) == ""


def test_the_templates_publish_as_webhook_flows(workspace, ghl, owner):
    b = ptd(workspace, "https://hooks.zapier.com/hooks/catch/1/a/")
    integration = draft_for(workspace, ghl, b)
    flows = []
    for n, template in enumerate(TEMPLATES.values()):
        for flow in template.build(ghl, b):
            flows.append({**flow, "key": f"k{n}{len(flows)}"})
    publish.publish(integration, {**integration.draft, "flows": flows}, owner)
    published = {f.name: f for f in Flow.objects.filter(integration=integration)}
    assert len(published) == 3
    inbound = [f for f in published.values() if f.source == b]
    assert sorted(e for f in inbound for e in f.trigger_config["events"]) == [
        "client_added",
        "client_added_to_group",
        "package_signup",
    ]
    outbound = next(f for f in published.values() if f.source == ghl)
    (step,) = outbound.steps.all()
    assert (step.connection, step.operation) == (b, "client.add")
    targets = {rule["target"] for rule in step.mapping}
    assert targets <= set(b.connector.record_fields["contact"])
    assert {"email", "first_name", "gender", "send_login_details"} <= targets


def test_add_client_runs_only_for_contacts_with_the_tag():
    from integrations.models import Step
    from integrations.sync.engine import _condition_met
    from integrations.wizard.ptdistinction import ADD_CLIENT_TAG

    (flow,) = TEMPLATES["ghl_contact_to_ptd_add_client"].build(None, None)  # type: ignore[arg-type]
    step = Step(params=flow["steps"][0]["params"])
    assert flow["steps"][0]["params"]["_when"]["contains"] == ADD_CLIENT_TAG
    assert _condition_met(step, {"trigger": {"tags": ["vip", " PT-Distinction "]}})
    assert not _condition_met(step, {"trigger": {"tags": ["vip"]}})
    assert not _condition_met(step, {"trigger": {"tags": []}})
    assert not _condition_met(step, {"trigger": {}})
    assert _condition_met(step, {"trigger": {"tags": "pt-distinction"}})
