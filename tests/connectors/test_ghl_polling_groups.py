"""A polling trigger of each of the 8 seed groups, polled through GHLConnector against the
sandbox over HTTP with the spec's paging: the first poll lists what is there, a record
made in between is the only new run key of the second poll, and a third poll has none.
Run keys are the poller's (sync/polling.py: id + change time, or id + content hash)."""

from __future__ import annotations

import pytest

from integrations.connectors.base import ConnectorError
from integrations.connectors.ghl.connector import load_catalog
from integrations.models import Connection
from integrations.sync.polling import poll_key
from sandbox.ghl.auth import hash_token, new_token

CATALOG = load_catalog()


@pytest.fixture
def ghl(ghl_sandbox, workspace):
    from sandbox.models import SandboxBusiness, SandboxPrivateIntegrationToken

    location_id = SandboxBusiness.objects.order_by("pk").first().location_id
    token = "pit-" + new_token()
    scopes = sorted({op.scope for op in CATALOG if op.scope})
    SandboxPrivateIntegrationToken.objects.create(
        token_hash=hash_token(token), location_id=location_id, scopes=" ".join(scopes)
    )
    conn = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id=location_id)
    conn.credentials = {"pit": token}
    conn.save()
    return conn.connector


def _keys(ghl, config: dict, cursor: str = "") -> tuple[set[str], str]:
    records, after = ghl.poll(config, cursor)
    return {poll_key(r) for r in records}, after


def _store(ghl, collection: str, data: dict, parent: str = "") -> str:
    """A record made in the app in between polls (for lists the spec gives no create)."""
    from sandbox.models import SandboxRecord

    row = SandboxRecord.objects.create(
        location_id=ghl.connection.account_id, collection=collection, data=data, parent_id=parent
    )
    return row.record_id


def _company(ghl) -> str:
    from sandbox.models import SandboxLocation

    return SandboxLocation.objects.get(pk=ghl.connection.account_id).company_id


def _pipeline(ghl) -> str:
    return ghl.call("get-pipelines")["pipelines"][0]["id"]


CASES = {
    # group → (trigger config, make a new record)
    "Contacts": (
        {"operation": "search-contacts-advanced"},
        lambda g: g.call(
            "create-contact", body={"firstName": "Polly", "email": "polly@example.com"}
        ),
    ),
    "Calendars & Appointments": (
        {"operation": "get-groups"},
        lambda g: g.call(
            "create-calendar-group",
            body={
                "locationId": g.connection.account_id,
                "name": "Evening",
                "description": "after 6",
                "slug": "evening",
            },
        ),
    ),
    "Opportunities": (
        {"operation": "search-opportunity"},
        lambda g: g.call(
            "create-opportunity",
            body={
                "pipelineId": _pipeline(g),
                "locationId": g.connection.account_id,
                "name": "Polled deal",
                "status": "open",
                "contactId": g.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][
                    0
                ]["id"],
            },
        ),
    ),
    "Users": (
        {"operation": "search-users", "params": {"companyId": "SbxCompany0000000001"}},
        lambda g: g.call(
            "create-user",
            body={
                "companyId": _company(g),
                "firstName": "Poll",
                "lastName": "User",
                "email": "poll.user@example.com",
                "password": "secret-Pass-123",
                "type": "account",
                "role": "user",
                "locationIds": [g.connection.account_id],
            },
        ),
    ),
    "Conversations & Messages": (
        {"operation": "search-conversation"},
        lambda g: _store(g, "conversations", {"contactId": "c", "type": 1, "unreadCount": 0}),
    ),
    "Businesses": (
        {"operation": "get-businesses-by-location"},
        lambda g: g.call(
            "create-business", body={"name": "Polled Ltd", "locationId": g.connection.account_id}
        ),
    ),
    "Workflows & Campaigns": (
        {"operation": "get-campaigns"},
        lambda g: _store(g, "campaigns", {"name": "Polled campaign", "status": "published"}),
    ),
    "Other Operations": (
        {"operation": "get-all-blog-authors-by-location"},
        lambda g: _store(g, "blogs/authors", {"name": "Polly Author", "canonicalLink": ""}),
    ),
}


def test_every_group_has_a_case():
    assert set(CASES) == {op.category for op in CATALOG}
    for config, _ in CASES.values():
        op = CATALOG[config["operation"]]
        assert op.role == "trigger", op.id


@pytest.mark.parametrize("group", sorted(CASES))
def test_a_trigger_of_each_group_emits_a_new_item_then_nothing(ghl, group):
    config, make = CASES[group]
    first, cursor = _keys(ghl, config)
    assert first, f"{group}: the demo data lists nothing"
    make(ghl)
    second, cursor = _keys(ghl, config, cursor)
    new = second - first
    assert len(new) == 1, (group, new)
    third, _ = _keys(ghl, config, cursor)
    assert third - first - second == set()


def test_a_changed_record_without_a_change_time_runs_again(ghl):
    config = {"operation": "get-campaigns"}
    first, _ = _keys(ghl, config)
    from sandbox.models import SandboxRecord

    row = SandboxRecord.objects.filter(
        location_id=ghl.connection.account_id, collection="campaigns"
    ).first()
    row.data = {**row.data, "name": "Renamed campaign"}
    row.save()
    second, _ = _keys(ghl, config)
    assert len(second - first) == 1


def test_paging_follows_the_spec(ghl):
    """skip/limit: three pages of two businesses."""
    for n in range(4):
        ghl.call(
            "create-business", body={"name": f"Paged {n}", "locationId": ghl.connection.account_id}
        )
    from integrations.connectors import http

    with http.recording() as calls:
        listed = list(ghl.iterate("get-businesses-by-location", page_size=2))
    assert len(listed) == 6  # the 2 seeded and 4 new
    assert all(f"skip={n}" in c.url for n, c in zip((0, 2, 4, 6), calls, strict=True))
    assert len(calls) == 4


def test_a_trigger_needing_a_parameter_says_which(ghl):
    with pytest.raises(ConnectorError, match="cannot be polled: it needs conversationId"):
        ghl.poll({"operation": "get-messages"}, "")
    conversation = ghl.call("search-conversation")["conversations"][0]["id"]
    records, _ = ghl.poll(
        {"operation": "get-messages", "params": {"conversationId": conversation}}, ""
    )
    assert len(records) == 3
