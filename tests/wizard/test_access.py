"""Every wizard URL: owners/admins only ("manage"), viewers 403, other workspaces 404."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from integrations.models import Integration, IntegrationStatus

pytestmark = pytest.mark.django_db

GETS = ["credentials", "flows", "map", "test", "publish", "resume", "operations"]
POSTS = ["credentials", "connect_yourapp", "flows", "preview", "dry_run", "test_sync", "publish"]


@pytest.fixture
def draft(workspace):  # type: ignore[no-untyped-def]
    return Integration.objects.create(
        workspace=workspace, name="Draft", status=IntegrationStatus.DRAFT, draft={}
    )


def urls(integration: Integration) -> list[tuple[str, str]]:
    code = integration.code
    out = [("get", reverse(f"dashboard:wizard_{n}", args=[code])) for n in GETS]
    out += [("post", reverse(f"dashboard:wizard_{n}", args=[code])) for n in POSTS]
    out.append(("get", reverse("dashboard:wizard_test_run", args=[code, uuid.uuid4()])))
    out.append(("get", reverse("dashboard:wizard_backfill_progress", args=[code, 1])))
    return out


def test_it_forbids_viewers_and_operators(client, viewer, operator, draft):  # type: ignore[no-untyped-def]
    for user in (viewer, operator):
        client.force_login(user)
        for method, url in urls(draft):
            assert getattr(client, method)(url).status_code == 403, url
        assert client.get(reverse("dashboard:wizard_new")).status_code == 403


def test_it_checks_ownership(client, outsider, draft):  # type: ignore[no-untyped-def]
    client.force_login(outsider)
    for method, url in urls(draft):
        assert getattr(client, method)(url).status_code == 404, url


def test_list_shows_integrations_to_viewers_without_edit(client, viewer, draft):  # type: ignore[no-untyped-def]
    client.force_login(viewer)
    page = client.get(reverse("dashboard:integrations"))
    assert page.status_code == 200 and "Draft" in page.content.decode()
    assert "New integration" not in page.content.decode()


def test_list_empty_state_and_new_button(client, owner):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    page = client.get(reverse("dashboard:integrations")).content.decode()
    assert "No integrations yet" in page and "New integration" in page


def test_new_keeps_input_on_error(client, owner, draft):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    answer = client.post(
        reverse("dashboard:wizard_new"), {"name": "Draft", "a_kind": "ghl", "b_kind": "rest"}
    )
    assert answer.status_code == 200
    assert "exists already" in answer.content.decode()
    assert 'value="Draft"' in answer.content.decode()


def test_flows_step_sends_back_to_credentials_first(client, owner, draft):  # type: ignore[no-untyped-def]
    client.force_login(owner)
    answer = client.get(reverse("dashboard:wizard_flows", args=[draft.code]))
    assert answer.status_code == 302 and "credentials" in answer["Location"]
