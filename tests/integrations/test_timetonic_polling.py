"""The "TimeTonic contacts, polled every 5 minutes" template through the poller: every row
the first time, nothing when nothing changed, then only the changed row (a hash per row),
each upserted into GHL by email. Runs execute eagerly against both simulators over HTTP."""

from __future__ import annotations

import pytest

from integrations.models import Integration, IntegrationStatus, Run, RunStatus
from integrations.sync import polling
from integrations.wizard import publish, timetonic_demo
from integrations.wizard.templates import TEMPLATES
from tests.connectors.conftest import pit_connection
from tests.connectors.timetonic_fixtures import tt_base  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_polling_upserts_new_then_only_changed_rows(ghl_sandbox, tt_base, workspace):  # noqa: F811
    ghl = pit_connection(workspace, scopes="contacts.readonly contacts.write locations.readonly")
    tt = timetonic_demo.connection(workspace, ghl_sandbox.url)
    integration = Integration.objects.create(
        workspace=workspace, name="poll", status=IntegrationStatus.DRAFT, version=0
    )
    flows = TEMPLATES["tt_contacts_polled"].build(ghl, tt)
    flows[0]["key"] = "p1"
    draft = {"a": str(ghl.code), "b": str(tt.code), "a_kind": "ghl", "b_kind": "timetonic"}
    publish.publish(integration, {**draft, "flows": flows}, None)
    flow = integration.flows.get()
    assert flow.trigger_kind == "poll" and flow.source == tt

    assert polling.poll(flow.pk) == 2  # the two seeded contacts
    assert set(Run.objects.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}
    found = ghl.connector.call(
        "get-duplicate-contact", locationId=ghl.account_id, email="ada@timetonic.example"
    )
    assert found["contact"]["firstName"] == "Ada"

    flow.cursor.refresh_from_db()
    flow.cursor.next_poll_at = None
    flow.cursor.save()
    assert polling.poll(flow.pk) == 0  # nothing changed

    ada = tt.connector.call("contact.find", email="ada@timetonic.example")["rows"][0]
    tt.connector.call("contact.update", id=ada["id"], body={"First name": "Augusta"})
    assert polling.poll(flow.pk) == 1
    last = Run.objects.order_by("-pk").first()
    assert last.status == RunStatus.SUCCEEDED, last.error
    found = ghl.connector.call(
        "get-duplicate-contact", locationId=ghl.account_id, email="ada@timetonic.example"
    )
    assert found["contact"]["firstName"] == "Augusta"
