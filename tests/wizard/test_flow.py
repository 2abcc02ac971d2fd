"""The whole wizard over HTTP with the test client, the apps being the real sandboxes."""

from __future__ import annotations

import re

import pytest
import requests
from django.urls import reverse

from integrations.models import (
    AuditEntry,
    Backfill,
    Integration,
    IntegrationStatus,
    IntegrationVersion,
    Run,
    RunStatus,
)

pytestmark = pytest.mark.django_db(transaction=True)


def url(name: str, integration: Integration, *extra) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"dashboard:wizard_{name}", args=[integration.code, *extra])


def start(client, ghl_conn, app_conn) -> Integration:  # type: ignore[no-untyped-def]
    answer = client.post(
        reverse("dashboard:wizard_new"), {"name": "Sync", "a_kind": "ghl", "b_kind": "rest"}
    )
    integration = Integration.objects.get(name="Sync")
    assert answer.status_code == 302 and answer["Location"] == url("credentials", integration)
    assert integration.status == IntegrationStatus.DRAFT
    answer = client.post(
        url("credentials", integration), {"a": str(ghl_conn.code), "b": str(app_conn.code)}
    )
    assert answer["Location"] == url("flows", integration)
    return integration


def test_it_walks_from_template_to_published_backfill(client, owner, ghl_conn, app_conn, yourapp):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    integration = start(client, ghl_conn, app_conn)
    page = client.get(url("flows", integration))
    assert page.status_code == 200
    assert "Tasks: HighLevel → Your App, completed back" in page.content.decode()
    # Your App carries tasks, notes and appointments: every related-records template is on.
    assert "object configured" not in page.content.decode()

    client.post(url("flows", integration), {"action": "template", "template": "ghl_contact_to_app"})
    page = client.get(url("flows", integration))
    assert "contacts.readonly ✓" in page.content.decode()
    answer = client.post(url("flows", integration), {"action": "continue"})
    assert answer["Location"] == url("map", integration)
    page = client.get(url("map", integration))
    html = page.content.decode()
    assert page.status_code == 200 and "trigger.firstName" in html
    assert "custom field" in html or "none on the sample record" in html

    draft = Integration.objects.get(pk=integration.pk).draft
    flow_key = draft["flows"][0]["key"]
    rows = draft["flows"][0]["steps"][0]["mapping"]
    data = {"flow": flow_key, "rows": len(rows) + 1}
    for n, rule in enumerate(rows):
        data[f"r{n}-target"] = rule["target"]
        data[f"r{n}-source"] = rule.get("source", "")
    last = rows[-1]["target"]  # tags have a step of their own: this is a plain field
    data[f"r{len(rows) - 1}-source"] = ""
    data[f"r{len(rows) - 1}-const"] = "VIP Co"
    preview = client.post(url("preview", integration), data, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and "VIP Co" in preview.content.decode()

    data["r0-transforms"] = "upper"
    bad = dict(data, **{"r1-transforms": "nope"})
    invalid = client.post(url("map", integration) + f"?flow={flow_key}", bad)
    assert invalid.status_code == 400 and "unknown transform" in invalid.content.decode()
    assert 'value="nope"' in invalid.content.decode()  # input kept

    saved = client.post(url("map", integration) + f"?flow={flow_key}", data)
    assert saved.status_code == 302
    mapping = Integration.objects.get(pk=integration.pk).draft["flows"][0]["steps"][0]["mapping"]
    assert {"target": last, "const": "VIP Co"} in mapping
    assert mapping[0]["transforms"] == [{"name": "upper"}]

    dry = client.post(url("dry_run", integration), {"flow": flow_key}, HTTP_HX_REQUEST="true")
    assert dry.status_code == 200 and "contact.create" in dry.content.decode()

    answer = client.post(url("test_sync", integration), {"flow": flow_key})
    assert answer.status_code == 302
    run = Run.objects.get(trigger="test")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.steps.exists()
    page = client.get(answer["Location"])
    assert "Succeeded" in page.content.decode()

    # The same record again: the dry run now finds the linked record and diffs it.
    dry = client.post(url("dry_run", integration), {"flow": flow_key}, HTTP_HX_REQUEST="true")
    assert "linked record" in dry.content.decode()

    answer = client.post(url("publish", integration), {"backfill": "first"})
    assert answer.status_code == 302
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.ACTIVE and integration.version == 1
    assert integration.flows.filter(enabled=True).count() == 2
    # A backfill is a bulk write: first what it will do, then nothing until confirmed.
    assert "preview=" in answer["Location"] and not Backfill.objects.exists()
    page = client.get(answer["Location"]).content.decode()
    assert 'id="confirm-backfill"' in page and "contact.create" in page
    flow_pk = re.search(r'name="backfill" value="(\d+)"', page).group(1)
    answer = client.post(url("publish", integration), {"backfill": flow_pk, "confirm": "yes"})
    assert "backfill=" in answer["Location"]
    integration.refresh_from_db()
    assert integration.version == 1  # confirming does not publish again
    backfill = Backfill.objects.get(flow__integration=integration)
    assert backfill.total > 0
    progress = client.get(url("backfill_progress", integration, backfill.pk))
    assert progress.status_code == 286  # finished: htmx stops polling
    contacts = requests.get(
        yourapp + "/api/contacts", headers={"Authorization": "Bearer yourapp-demo-key"}, timeout=10
    ).json()
    assert len(contacts["data"]) >= 1

    # Editing later: the same wizard, a changed mapping makes version 2 and an audit entry.
    client.get(url("resume", integration))
    page = client.get(url("map", integration))
    assert page.status_code == 200
    integration.refresh_from_db()
    flow = integration.draft["flows"][0]
    data["flow"] = flow["key"]
    data["r0-transforms"] = "lower"
    assert client.post(url("map", integration) + f"?flow={flow['key']}", data).status_code == 302
    assert client.post(url("publish", integration), {}).status_code == 302
    integration.refresh_from_db()
    assert integration.version == 2
    assert IntegrationVersion.objects.filter(integration=integration).count() == 2
    entry = AuditEntry.objects.get(action="mapping.changed")
    assert entry.detail["before"][0]["transforms"] == [{"name": "upper"}]
    assert entry.detail["after"][0]["transforms"] == [{"name": "lower"}]


def test_daily_sync_template_publishes_a_scheduled_flow_with_a_summary(  # type: ignore[no-untyped-def]
    client, owner, ghl_conn, app_conn, yourapp
):
    from integrations.models import TriggerKind
    from integrations.sync import polling

    client.force_login(owner)
    integration = start(client, ghl_conn, app_conn)
    page = client.get(url("flows", integration)).content.decode()
    assert "Daily full sync with a summary" in page
    client.post(url("flows", integration), {"action": "template", "template": "scheduled_daily"})
    assert client.post(url("publish", integration), {}).status_code == 302
    flow = Integration.objects.get(pk=integration.pk).flows.get(trigger_kind=TriggerKind.SCHEDULE)
    assert flow.trigger_config["every_minutes"] == 1440
    assert flow.trigger_config["summary_to"] == owner.email
    assert flow.pk in polling.due_flows()
