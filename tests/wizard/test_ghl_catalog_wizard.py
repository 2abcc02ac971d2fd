"""The wizard's "build a flow from scratch" with the whole GHL catalog: the 124 seed
operations listed grouped as the seeds group them, searchable, each with its scope; an
action's body fields from the spec (required marked, enums as choices); a flow needing
scopes the OAuth connection lacks is refused at publish, naming them."""

from __future__ import annotations

import re

import pytest

from integrations.connectors.ghl.build_catalog import seed_rows
from integrations.models import Integration
from integrations.wizard import drafts, fields
from tests.connectors.conftest import oauth_connection

from .test_flow import start, url

pytestmark = pytest.mark.django_db(transaction=True)

GROUPS = list(dict.fromkeys(row["category"] for row in seed_rows()))


def _options(html: str, select: str) -> list[str]:
    block = re.search(rf'<select name="{select}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', block)


def test_the_flows_step_lists_all_124_grouped_with_their_scopes(client, owner, ghl_conn, app_conn):
    client.force_login(owner)
    integration = start(client, ghl_conn, app_conn)
    # GHL watched (side a): its 55 triggers in the polled-operation list.
    page = client.get(url("flows", integration) + "?side=a").content.decode()
    triggers = _options(page, "poll_operation")
    assert len(triggers) == 55
    labels = re.findall(r'<optgroup label="([^"]+)"', page)
    assert [label.replace("&amp;", "&") for label in labels[: len(GROUPS)]] == GROUPS
    assert "List Pipelines — opportunities.readonly" in page
    assert "List Contacts (Deprecated) (deprecated) — contacts.readonly" in page
    # GHL written (side b): its 69 actions, each with its scope.
    page = client.get(url("flows", integration) + "?side=b").content.decode()
    actions = re.findall(r'name="operation" value="([^"]+)"', page)
    assert len(actions) == 69
    assert 'value="create-opportunity"' in page and "opportunities.write" in page
    assert len({*triggers, *actions}) == 124


def test_the_action_search_finds_by_name_and_group(client, owner, ghl_conn, app_conn):
    client.force_login(owner)
    integration = start(client, ghl_conn, app_conn)
    found = client.get(
        url("operations", integration), {"side": "b", "q": "opportunity"}
    ).content.decode()
    ids = re.findall(r'name="operation" value="([^"]+)"', found)
    assert "create-opportunity" in ids and "update-opportunity-status" in ids
    assert "create-contact" not in ids
    blog = client.get(url("operations", integration), {"side": "b", "q": "blog"}).content.decode()
    assert set(re.findall(r'name="operation" value="([^"]+)"', blog)) == {
        "create-blog-post",
        "update-blog-post",
    }


def test_an_action_lists_its_body_fields_required_and_choices(ghl_conn):
    op = ghl_conn.connector.catalog["update-opportunity-status"]
    by_name = {f.name: f for f in fields.target_fields(ghl_conn, op, "opportunity")}
    assert by_name["status"].required
    assert by_name["status"].note.startswith("one of: open, won, lost")
    create = ghl_conn.connector.catalog["create-opportunity"]
    by_name = {f.name: f for f in fields.target_fields(ghl_conn, create, "opportunity")}
    assert by_name["pipelineId"].required and by_name["name"].required
    assert not by_name["monetaryValue"].required
    assert "locationId" not in by_name  # the connection's location fills it


def test_publish_is_refused_naming_the_scopes_the_flow_needs(
    client, owner, workspace, ghl_sandbox, app_conn
):
    client.force_login(owner)
    ghl = oauth_connection(workspace, ["contacts.readonly", "contacts.write"])
    integration = start(client, ghl, app_conn)
    event = app_conn.connector.event_types[0]
    answer = client.post(
        url("flows", integration),
        {
            "action": "scratch",
            "side": "b",
            "trigger_kind": "webhook",
            "events": event,
            "operation": "create-opportunity",
            "object_type": "contact",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    integration = Integration.objects.get(pk=integration.pk)
    draft = drafts.draft_of(integration)
    checks = {
        c.connection.pk: c for c in drafts.scope_checks(draft, drafts.sides(integration, draft))
    }
    assert checks[ghl.pk].missing == ["opportunities.write"]
    assert "opportunities.write" in checks[ghl.pk].reconnect_scopes
    page = client.get(url("flows", integration) + "?side=b").content.decode()
    assert "Reconnect asking for opportunities.write" in page
    refused = client.post(url("publish", integration), {})
    text = refused.content.decode()
    assert "opportunities.write, which this connection was not granted" in text
    integration.refresh_from_db()
    assert not integration.is_active
