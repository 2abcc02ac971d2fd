"""The Time To Pet templates in the wizard: offered for HighLevel ↔ Time To Pet, and every
step of every flow opens in the map step with a visit read from the sandbox feed."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from integrations.models import Connection
from integrations.wizard import drafts
from integrations.wizard.templates import for_pair
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_template_opens_in_the_map_step(ghl_sandbox, workspace, owner, client):
    base = ghl_sandbox.url
    paths = requests.post(base + "/sandbox/timetopet/_control/generate", json={}, timeout=30)
    ghl = pit_connection(workspace)
    ttp = Connection(workspace=workspace, kind="timetopet", auth_method="feed")
    ttp.connector.connect_with("feed", {"feed_url": base + paths.json()["feed"], "interval": 30})
    ttp.save()
    templates = [t.id for t in for_pair("ghl", "timetopet")]
    assert templates == [
        "ttp_visits_to_appointments",
        "ttp_visits_to_tasks",
        "ttp_clients_to_contacts",
        "ttp_notes_to_ghl",
    ]
    client.force_login(owner)
    for template_id in templates:
        integration = drafts.new_draft(workspace, template_id, "ghl", "timetopet")
        draft = drafts.draft_of(integration)
        draft.update({"a": str(ghl.code), "b": str(ttp.code)})
        drafts.apply_template(draft, template_id, drafts.sides(integration, draft))
        drafts.save_draft(integration, draft, "map")
        for flow in draft["flows"]:
            if flow["trigger_kind"] == "poll":
                assert flow["trigger_config"]["interval_minutes"] == 30  # up to 60 for a feed
            for index, _ in enumerate(flow["steps"]):
                url = reverse("dashboard:wizard_map", args=[integration.code])
                page = client.get(url, {"flow": flow["key"], "step": index})
                assert page.status_code == 200, (template_id, flow["key"], index)
