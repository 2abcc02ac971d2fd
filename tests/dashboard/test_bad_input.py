"""Bad input gets a 400 or the form again with an error, never a 500 (issue #8, items 4 and 7).

Each case here was seen as a 500 (or a pinned worker) on a fresh install."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import (
    AuditEntry,
    Connection,
    Integration,
    IntegrationStatus,
    Run,
    RunStatus,
)
from integrations.wizard import fields
from tests.dashboard.fuzz_world import World, no_outside_http, world  # noqa: F401

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def owner_client(owner) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def wizard_url(name: str, integration: Integration) -> str:
    return reverse(f"dashboard:wizard_{name}", args=[integration.code])


# --- item 4: counts from a request are bounded --------------------------------------------


class CountingPost(dict):
    """A POST whose key look-ups are counted: a loop over a huge count fails fast."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.lookups = 0

    def __contains__(self, key: object) -> bool:
        self.lookups += 1
        if self.lookups > 10 * fields.MAX_ROWS:
            raise AssertionError("rows_from_post loops past its bound")
        return super().__contains__(key)


def test_rows_from_post_is_bounded() -> None:
    data = CountingPost({"rows": HUGE, "r0-target": "email", "r0-source": "trigger.email"})
    rows = fields.rows_from_post(data)
    assert [r.target for r in rows] == ["email"]
    assert data.lookups <= fields.MAX_ROWS + 1


@pytest.mark.parametrize("rows", [HUGE, "-5", "abc", "²", "١٢٣"])
@pytest.mark.parametrize("step", ["map", "preview"])
def test_the_map_editor_refuses_a_bad_row_count(owner_client, world: World, step, rows) -> None:  # noqa: F811
    data = {"flow": world.flow_key, "rows": rows, "r0-target": "email", "r0-source": "x"}
    before = Integration.objects.get(pk=world.draft_integration.pk).draft
    answer = owner_client.post(wizard_url(step, world.draft_integration), data)
    assert answer.status_code == 400
    assert "rows" in answer.content.decode()
    assert Integration.objects.get(pk=world.draft_integration.pk).draft == before


def test_the_map_editor_still_saves_a_good_row_count(owner_client, world: World) -> None:  # noqa: F811
    draft = world.draft_integration.draft
    mapping = draft["flows"][0]["steps"][0]["mapping"]
    data = {"flow": world.flow_key, "rows": str(len(mapping)), "action": "save"}
    for n, rule in enumerate(mapping):
        data[f"r{n}-target"] = rule["target"]
        data[f"r{n}-source"] = rule.get("source", "")
    answer = owner_client.post(wizard_url("map", world.draft_integration), data)
    assert answer.status_code == 302


# --- item 7: bad input is a 400 or a form error ---------------------------------------------


@pytest.mark.parametrize("wanted", ["abc", HUGE, "-1", "²", "١٢٣", "", "1\x00"])
def test_switch_workspace_refuses_bad_values(owner_client, workspace, wanted) -> None:
    answer = owner_client.post(reverse("dashboard:switch_workspace"), {"workspace": wanted})
    assert answer.status_code == 400
    assert owner_client.get(reverse("dashboard:connections")).status_code == 200


def test_switch_workspace_switches_to_own(owner_client, owner, workspace) -> None:
    from integrations.models import Membership, Role, Workspace

    other = Workspace.objects.create(name="Second Shop")
    Membership.objects.create(workspace=other, user=owner, role=Role.OWNER)
    answer = owner_client.post(reverse("dashboard:switch_workspace"), {"workspace": other.pk})
    assert answer.status_code == 302
    assert "Second Shop" in owner_client.get(reverse("dashboard:connections")).content.decode()


BAD_NEXT = ["-1", "javascript:alert(1)", "//evil.example/x", "https://evil.example/", "a\x00"]


@pytest.mark.parametrize("nxt", BAD_NEXT)
def test_dismiss_with_a_bad_next_goes_to_the_run(owner_client, world: World, nxt) -> None:  # noqa: F811
    url = reverse("dashboard:run_dismiss", args=[world.run.code])
    answer = owner_client.post(url, {"next": nxt})
    assert answer.status_code == 302
    assert answer["Location"] == f"/runs/{world.run.code}/"
    assert Run.objects.get(pk=world.run.pk).dismissed


def test_dismiss_follows_a_local_next(owner_client, world: World) -> None:  # noqa: F811
    url = reverse("dashboard:run_dismiss", args=[world.run.code])
    answer = owner_client.post(url, {"next": "/failures/?flow=x"})
    assert answer.status_code == 302 and answer["Location"] == "/failures/?flow=x"


@pytest.mark.parametrize("nxt", BAD_NEXT)
def test_pause_and_resume_with_a_bad_next_go_home(owner_client, world: World, nxt) -> None:  # noqa: F811
    code = world.integration.code
    answer = owner_client.post(reverse("dashboard:integration_pause", args=[code]), {"next": nxt})
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert Integration.objects.get(pk=world.integration.pk).status == IntegrationStatus.PAUSED
    answer = owner_client.post(reverse("dashboard:integration_resume", args=[code]), {"next": nxt})
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert Integration.objects.get(pk=world.integration.pk).status != IntegrationStatus.PAUSED


@pytest.mark.parametrize("nxt", BAD_NEXT)
def test_replay_with_a_bad_next_goes_to_events(owner_client, world: World, nxt) -> None:  # noqa: F811
    url = reverse("dashboard:event_replay", args=[world.event.code])
    answer = owner_client.post(url, {"next": nxt})
    assert answer.status_code == 302 and answer["Location"] == "/events/"
    assert AuditEntry.objects.filter(action="event.replayed").count() == 1


@pytest.mark.parametrize("run", ["x", "1", HUGE, "\x00", "²"])
def test_the_wizard_test_step_ignores_a_bad_run(owner_client, world: World, run) -> None:  # noqa: F811
    answer = owner_client.get(wizard_url("test", world.draft_integration), {"run": run})
    assert answer.status_code == 200


def test_the_wizard_test_step_shows_its_run(owner_client, world: World) -> None:  # noqa: F811
    run = Run.objects.create(
        workspace=world.workspace, flow=world.flow, status=RunStatus.SUCCEEDED, record_id="c-77"
    )
    answer = owner_client.get(wizard_url("test", world.draft_integration), {"run": str(run.code)})
    assert answer.status_code == 200 and str(run.code) in answer.content.decode()


@pytest.mark.parametrize("backfill", ["²", HUGE, "-1", "abc", "\x00"])
def test_the_publish_step_ignores_a_bad_backfill(owner_client, world: World, backfill) -> None:  # noqa: F811
    answer = owner_client.get(
        wizard_url("publish", world.draft_integration), {"backfill": backfill}
    )
    assert answer.status_code == 200


@pytest.mark.parametrize("interval", ["²", HUGE, "-1", "0", "16", "abc", "١٢٣"])
def test_a_bad_polling_interval_is_a_form_error(owner_client, world: World, interval) -> None:  # noqa: F811
    before = Integration.objects.get(pk=world.draft_integration.pk).draft
    answer = owner_client.post(
        wizard_url("flows", world.draft_integration),
        {
            "action": "scratch",
            "side": "b",
            "trigger_kind": "poll",
            "interval": interval,
            "operation": "contact.create",
        },
    )
    assert answer.status_code == 400
    assert "interval" in answer.content.decode().lower()
    assert Integration.objects.get(pk=world.draft_integration.pk).draft == before


@pytest.mark.parametrize("side", ["c", "\r\nSet-Cookie: x=1", "a\x00"])
def test_a_bad_side_is_a_form_error(owner_client, world: World, side) -> None:  # noqa: F811
    answer = owner_client.post(
        wizard_url("flows", world.draft_integration), {"action": "remove", "side": side}
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("token", ["١٢٣", "tök€n", "a b", "x\x00y"])
def test_the_token_form_refuses_a_token_that_cannot_be_sent(owner_client, world, token) -> None:  # noqa: F811
    count = Connection.objects.count()
    answer = owner_client.post(
        reverse("dashboard:connection_token", args=["ghl"]),
        {"token": token, "account_id": "loc1", "scopes": ["contacts.readonly"]},
    )
    assert answer.status_code in (200, 400)
    assert "token" in answer.content.decode().lower()
    assert Connection.objects.count() == count


def test_disconnecting_a_connection_a_flow_uses_is_refused(owner_client, world: World) -> None:  # noqa: F811
    # Found by the fuzz test: a ProtectedError (500) before.
    answer = owner_client.post(reverse("dashboard:connection_disconnect", args=[world.ghl.code]))
    assert answer.status_code == 302
    assert Connection.objects.filter(pk=world.ghl.pk).exists()
    page = owner_client.get(reverse("dashboard:connections")).content.decode()
    assert "is used by" in page
    assert not AuditEntry.objects.filter(action="connection.deleted").exists()
