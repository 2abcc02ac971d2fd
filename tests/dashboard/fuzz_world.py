"""A workspace with one of everything the dashboard shows, built without the network.

Shared by the bad-input tests and the fuzz test: a GHL token connection, a "Your App"
connection, a wizard draft (template applied, a stored sample so the map and test steps read
no app), a published flow with a failed run, a webhook event, a backfill, an alert rule and
an invitation. Every app lives at a closed local port (`no_outside_http`): a view that calls an
app goes through the real HTTP layer and gets "connection refused", as with the app down.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from integrations.models import (
    AlertRule,
    Backfill,
    Connection,
    Flow,
    Integration,
    IntegrationStatus,
    Invitation,
    Run,
    RunStatus,
    TriggerKind,
    WebhookEvent,
    WebhookStatus,
    Workspace,
)
from integrations.sync import dispatch
from integrations.wizard import drafts
from tests.connectors.test_rest_fixtures import rest_connection

SAMPLE = {
    "id": "c-1",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@example.com",
    "phone": "+14155550100",
    "tags": ["vip"],
}


@dataclass
class World:
    workspace: Workspace
    ghl: Connection
    app: Connection
    draft_integration: Integration
    flow_key: str
    integration: Integration
    flow: Flow
    run: Run
    event: WebhookEvent
    backfill: Backfill
    rule: AlertRule
    invitation: Invitation


CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, refused at once


@pytest.fixture
def no_outside_http(monkeypatch, settings):  # type: ignore[no-untyped-def]
    settings.GHL_API_BASE_URL = CLOSED
    settings.GHL_AUTHORIZE_URL = CLOSED + "/oauth/chooselocation"
    settings.GHL_TOKEN_URL = CLOSED + "/oauth/token"
    settings.HTTP_ALLOW_PRIVATE_TARGETS = True
    # The shared GHL budget would make hundreds of refused calls wait their turn.
    settings.GHL_RATE_LIMIT_MAX = 1_000_000
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)


def build_world(workspace: Workspace, owner: Any) -> World:
    ghl = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    ghl.credentials = {"pit": "x" * 20}
    ghl.scopes_requested = ghl.scopes_granted = ["contacts.readonly", "contacts.write"]
    ghl.label = "HighLevel loc1"
    ghl.save()
    app = rest_connection(workspace, CLOSED)

    draft_integration = drafts.new_draft(workspace, "Draft sync", "ghl", "rest")
    draft = drafts.draft_of(draft_integration)
    draft.update({"a": str(ghl.code), "b": str(app.code)})
    drafts.apply_template(draft, "ghl_contact_to_app", drafts.sides(draft_integration, draft))
    flow_key = draft["flows"][0]["key"]
    draft["samples"] = {
        f["key"]: {"record": dict(SAMPLE), "note": "stored"} for f in draft["flows"]
    }
    drafts.save_draft(draft_integration, draft, "map")

    integration = Integration.objects.create(
        workspace=workspace, name="GHL → CRM", status=IntegrationStatus.ACTIVE
    )
    flow = Flow.objects.create(
        integration=integration,
        name="contacts",
        source=ghl,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactCreate", "ContactUpdate"]},
    )
    run = Run.objects.create(
        workspace=workspace,
        flow=flow,
        status=RunStatus.FAILED,
        event_type="ContactUpdate",
        payload=dict(SAMPLE),
        record_id="c-1",
        record_label="Ada Lovelace",
        attempt=1,
        error="boom",
    )
    event = WebhookEvent.objects.create(
        workspace=workspace,
        connection=ghl,
        source_kind="ghl",
        event_type="ContactUpdate",
        dedupe_key="wh-1",
        raw_body=json.dumps({"type": "ContactUpdate", "id": "c-9"}),
        signature_verdict="valid_ed25519",
        status=WebhookStatus.PROCESSED,
    )
    backfill = Backfill.objects.create(flow=flow, total=3)
    rule = AlertRule.objects.create(
        workspace=workspace, kind=AlertRule.Kind.RUN_FAILED, channel="email", target="a@b.co"
    )
    invitation = Invitation.objects.create(
        workspace=workspace, email="new@example.com", invited_by=owner
    )
    return World(
        workspace,
        ghl,
        app,
        draft_integration,
        flow_key,
        integration,
        flow,
        run,
        event,
        backfill,
        rule,
        invitation,
    )


@pytest.fixture
def world(workspace, owner, no_outside_http) -> World:  # type: ignore[no-untyped-def]
    return build_world(workspace, owner)
