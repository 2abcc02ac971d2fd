"""Runs, Failures and Events pages: filters, keyset paging, live rows, detail, retry, retry
all, dismiss, replay, ownership (404 for outsiders) and roles (403, no buttons)."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    AuditEntry,
    Connection,
    Flow,
    Integration,
    RecordLink,
    Run,
    RunEvent,
    RunStatus,
    RunStep,
    TriggerKind,
    WebhookEvent,
    WebhookStatus,
)
from integrations.sync import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    # Nothing is sent to a broker: queued runs stay queued.
    monkeypatch.setattr(dispatch, "enqueue", lambda run_id, countdown=0: None)


@pytest.fixture
def connection(workspace):
    c = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    c.credentials = {"pit": "x" * 20}
    c.save()
    return c


@pytest.fixture
def flow(workspace, connection):
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    return Flow.objects.create(
        integration=integration,
        name="contacts",
        source=connection,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactCreate", "ContactUpdate"]},
    )


@pytest.fixture
def other_flow(workspace, connection):
    integration = Integration.objects.create(workspace=workspace, name="Tasks sync")
    return Flow.objects.create(
        integration=integration, name="tasks", source=connection, trigger_kind=TriggerKind.POLL
    )


def make_run(flow, status=RunStatus.SUCCEEDED, **fields):
    defaults = {
        "workspace": flow.integration.workspace,
        "flow": flow,
        "status": status,
        "event_type": "ContactUpdate",
        "payload": {"id": "c-1", "email": "ada@example.com"},
        "record_id": "c-1",
        "record_label": "Ada Lovelace <ada@example.com>",
        "attempt": 1,
    }
    defaults.update(fields)
    return Run.objects.create(**defaults)


def make_failed(flow, error="HighLevel answered 422: email is invalid", **fields):
    fields.setdefault("error_kind", "validation")
    return make_run(flow, RunStatus.FAILED, error=error, **fields)


# --- list -------------------------------------------------------------------------------


def test_it_shows_empty_state(client, owner):
    client.force_login(owner)
    response = client.get(reverse("dashboard:runs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "No runs yet" in page
    assert "/sandbox/ghl/_ui/" in page and reverse("dashboard:connections") in page
    assert "<title>Runs · Syncdeck</title>" in page


def test_it_lists_newest_first_with_row_details(client, owner, flow):
    old = make_run(flow, record_label="Old One", record_id="old-1")
    new = make_failed(flow, record_label="New One", record_id="new-1")
    client.force_login(owner)
    page = client.get(reverse("dashboard:runs")).content.decode()
    assert page.index(str(new.code)) < page.index(str(old.code))
    assert "GHL → CRM" in page and "contacts" in page and "ContactUpdate" in page
    assert "new-1" in page and "email is invalid" in page and "badge-failed" in page


def test_it_filters(client, owner, flow, other_flow):
    ok = make_run(flow, record_label="Ada <ada@example.com>", record_id="rec-ada")
    bad = make_failed(flow, record_label="Bob <bob@example.com>", record_id="rec-bob")
    task = make_run(other_flow, record_label="Call Ada", record_id="task-9")
    stale = make_run(flow, record_label="Old", record_id="rec-old")
    Run.objects.filter(pk=stale.pk).update(created=timezone.now() - timedelta(days=3))
    client.force_login(owner)

    def codes(**query):
        page = client.get(reverse("dashboard:runs"), query).content.decode()
        return {r for r in (ok, bad, task, stale) if str(r.code) in page}

    assert codes() == {ok, bad, task, stale}
    assert codes(status="failed") == {bad}
    assert codes(flow=str(other_flow.code)) == {task}
    assert codes(integration=str(flow.integration.code)) == {ok, bad, stale}
    assert codes(range="24h") == {ok, bad, task}
    assert codes(range="7d") == {ok, bad, task, stale}
    assert codes(q="BOB@example") == {bad}
    assert codes(q="ada") == {ok, task}
    assert codes(q="rec-") == {ok, bad, stale}
    assert codes(error_kind="validation", error=bad.error) == {bad}
    assert codes(flow=str(uuid.uuid4())) == {ok, bad, task, stale}  # unknown value: ignored
    assert (
        "No runs match these filters"
        in client.get(reverse("dashboard:runs"), {"q": "nobody"}).content.decode()
    )


def test_it_pages_by_keyset(client, owner, flow):
    runs = [make_run(flow, record_id=f"r{i}") for i in range(120)]
    # Equal timestamps across a page boundary must neither repeat nor lose a run.
    same = timezone.now() - timedelta(minutes=5)
    Run.objects.filter(pk__in=[r.pk for r in runs[60:75]]).update(created=same)
    client.force_login(owner)
    seen: list[str] = []
    url = reverse("dashboard:runs")
    pages = 0
    while url:
        page = client.get(url).content.decode()
        pages += 1
        found = re.findall(r'id="run-([0-9a-f-]{36})"', page)
        assert len(found) <= 50
        seen += found
        older = re.search(r'id="older" href="([^"]+)"', page)
        url = html.unescape(older.group(1)) if older else ""
        if url:
            assert "before=" in url and "%7C" in url  # created iso|id
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    expected = Run.objects.order_by("-created", "-pk").values_list("code", flat=True)
    assert seen == [str(code) for code in expected]


def test_paging_keeps_filters(client, owner, flow, other_flow):
    for i in range(55):
        make_failed(flow, record_id=f"f{i}")
    make_run(flow)
    client.force_login(owner)
    page = client.get(reverse("dashboard:runs"), {"status": "failed"}).content.decode()
    older = html.unescape(re.search(r'id="older" href="([^"]+)"', page).group(1))
    assert "status=failed" in older
    second = client.get(older).content.decode()
    assert len(re.findall(r'id="run-', second)) == 5
    assert "Newest runs" in second


def test_garbage_cursor_shows_first_page(client, owner, flow):
    run = make_run(flow)
    client.force_login(owner)
    response = client.get(reverse("dashboard:runs"), {"before": "yesterday|x"})
    assert response.status_code == 200 and str(run.code) in response.content.decode()


def test_active_row_polls_and_finished_row_does_not(client, owner, flow):
    run = make_run(flow, RunStatus.RUNNING)
    client.force_login(owner)
    url = reverse("dashboard:run_row", args=[run.code])
    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert row.lstrip().startswith("<tr") and "<html" not in row
    assert 'hx-trigger="every 2s"' in row and f'hx-get="{url}"' in row
    page = client.get(reverse("dashboard:runs")).content.decode()
    assert f'hx-get="{url}"' in page

    Run.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in row and "hx-get" not in row and "Succeeded" in row


# --- detail -----------------------------------------------------------------------------


def test_detail_shows_steps_log_hint_links_and_chain(client, owner, flow, connection):
    original = make_failed(flow, error_kind="transient", error="HighLevel timed out")
    middle = make_failed(
        flow,
        retry_of=original,
        trigger="retry",
        error="HighLevel answered 422: email is invalid",
        error_hint="Fix the contact's email in HighLevel, then retry.",
    )
    last = make_run(flow, RunStatus.SUCCEEDED, retry_of=middle, trigger="retry")
    RunStep.objects.create(
        run=middle,
        attempt=1,
        step_key="push",
        operation="update-contact",
        method="PUT",
        url="https://services.leadconnectorhq.com/contacts/c-1",
        request_headers={"Authorization": "[redacted]", "Version": "2021-07-28"},
        request_body='{"email": "not-an-email"}',
        response_status=422,
        response_body='{"message": "email is invalid"}',
        duration_ms=87,
        error="422 Unprocessable Entity",
    )
    RunEvent.objects.create(run=middle, level="error", message="step push failed: 422")
    RecordLink.objects.create(
        workspace=flow.integration.workspace,
        object_type="contact",
        left=connection,
        left_record="c-1",
        right=connection,
        right_record="crm-77",
        label="Ada",
    )
    client.force_login(owner)
    page = client.get(reverse("dashboard:run", args=[middle.code])).content.decode()
    assert "<title>Run of contacts · Syncdeck</title>" in page
    assert "&quot;email&quot;: &quot;ada@example.com&quot;" in page  # pretty payload in <pre>
    assert "update-contact" in page and "PUT https://services.leadconnectorhq.com" in page
    assert "[redacted]" in page and "422" in page and "87 ms" in page
    assert "step push failed: 422" in page
    assert "Fix the contact&#x27;s email in HighLevel" in page
    assert "crm-77" in page
    for run in (original, last):
        assert reverse("dashboard:run", args=[run.code]) in page
    assert "this run" in page
    assert 'id="dismiss"' in page and 'id="retry"' not in page  # already retried
    assert "hx-trigger" not in page  # finished: no polling

    page = client.get(reverse("dashboard:run", args=[original.code])).content.decode()
    assert "did not answer in time" in page  # hint by kind when the engine left none


def test_running_detail_polls_with_a_fragment(client, owner, flow):
    run = make_run(flow, RunStatus.RUNNING)
    client.force_login(owner)
    url = reverse("dashboard:run", args=[run.code])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="run-body"')
    assert "HX-Request" in fragment["Vary"]


# --- actions ----------------------------------------------------------------------------


def test_retry_creates_a_new_run(client, operator, flow):
    failed = make_failed(flow)
    client.force_login(operator)
    response = client.post(reverse("dashboard:run_retry", args=[failed.code]))
    new = Run.objects.get(retry_of=failed)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:run", args=[new.code])
    assert new.status == RunStatus.QUEUED and new.trigger == "retry"
    assert new.payload == failed.payload
    assert AuditEntry.objects.filter(action="run.retried").exists()
    # A second retry of the same failure is refused: follow the retry instead.
    client.post(reverse("dashboard:run_retry", args=[failed.code]))
    assert Run.objects.filter(retry_of=failed).count() == 1


def test_htmx_retry_returns_both_rows(client, owner, flow):
    failed = make_failed(flow)
    client.force_login(owner)
    response = client.post(
        reverse("dashboard:run_retry", args=[failed.code]), HTTP_HX_REQUEST="true"
    )
    new = Run.objects.get(retry_of=failed)
    rows = response.content.decode()
    assert rows.count("<tr") == 2 and "<html" not in rows
    assert f'id="run-{failed.code}"' in rows and "retried" in rows
    assert f'id="run-{new.code}"' in rows and 'hx-trigger="every 2s"' in rows


def test_only_failed_runs_are_retried(client, owner, flow):
    run = make_run(flow, RunStatus.SUCCEEDED)
    client.force_login(owner)
    client.post(reverse("dashboard:run_retry", args=[run.code]))
    assert not Run.objects.filter(retry_of=run).exists()


def test_dismiss(client, operator, flow):
    failed = make_failed(flow)
    client.force_login(operator)
    response = client.post(reverse("dashboard:run_dismiss", args=[failed.code]), follow=True)
    failed.refresh_from_db()
    assert failed.dismissed
    assert "Failure dismissed." in response.content.decode()
    assert AuditEntry.objects.filter(action="run.dismissed").exists()
    page = client.get(reverse("dashboard:failures")).content.decode()
    assert str(failed.code) not in page and "No failures to look at" in page


def test_htmx_dismiss_returns_the_row(client, owner, flow):
    failed = make_failed(flow)
    client.force_login(owner)
    row = client.post(
        reverse("dashboard:run_dismiss", args=[failed.code]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert row.lstrip().startswith("<tr") and "dismissed" in row and "Dismiss</button>" not in row


# --- failures and retry all -------------------------------------------------------------


def test_failures_are_grouped(client, owner, flow, other_flow):
    for _ in range(3):
        make_failed(flow)
    make_failed(flow, error="HighLevel timed out", error_kind="transient")
    make_failed(other_flow, error="HighLevel timed out", error_kind="transient")
    retried = make_failed(flow)
    make_run(flow, RunStatus.QUEUED, retry_of=retried)
    make_failed(flow, dismissed=True)
    make_run(flow, RunStatus.SUCCEEDED)
    client.force_login(owner)
    response = client.get(reverse("dashboard:failures"))
    groups = response.context["groups"]
    assert [(g["flow"].name, g["error_kind"], g["count"]) for g in groups] == [
        ("tasks", "transient", 1),
        ("contacts", "transient", 1),
        ("contacts", "validation", 3),
    ]
    assert response.context["total"] == 5
    page = response.content.decode()
    assert "<title>Failures · Syncdeck</title>" in page
    link = html.unescape(re.findall(r'href="(/runs/\?[^"]+)">See runs', page)[-1])
    listed = client.get(link).content.decode()
    # The list shows every failed run of that cause: 3 open, the retried and the dismissed one.
    assert len(re.findall(r'id="run-', listed)) == 5


def test_retry_all_confirms_then_retries(client, operator, flow, other_flow):
    for _ in range(3):
        make_failed(flow)
    make_failed(other_flow, error="HighLevel timed out", error_kind="transient")
    make_failed(flow, dismissed=True)
    make_run(flow, RunStatus.SUCCEEDED)
    client.force_login(operator)
    query = {"flow": str(flow.code), "status": "failed"}
    confirm = client.get(reverse("dashboard:retry_all"), query)
    page = confirm.content.decode()
    assert confirm.context["count"] == 3
    assert '<strong id="retry-count">3</strong> failed runs will be retried' in page
    assert Run.objects.count() == 6  # a GET changes nothing
    assert f'name="flow" value="{flow.code}"' in page
    assert "<dt>Flow</dt><dd>GHL → CRM · contacts</dd>" in page  # what the filter selects

    response = client.post(reverse("dashboard:retry_all"), query, follow=True)
    assert "3 runs queued for retry." in response.content.decode()
    assert Run.objects.filter(trigger="retry", flow=flow).count() == 3
    assert not Run.objects.filter(trigger="retry", flow=other_flow).exists()
    # Done once: nothing left to retry for that filter.
    assert client.get(reverse("dashboard:retry_all"), query).context["count"] == 0
    response = client.post(reverse("dashboard:retry_all"), query, HTTP_HX_REQUEST="true")
    assert response.content.decode().strip().startswith('<div class="msg msg-success"')
    assert "0 runs queued for retry." in response.content.decode()


def test_retry_all_of_a_group(client, owner, flow):
    make_failed(flow)
    make_failed(flow)
    make_failed(flow, error="HighLevel timed out", error_kind="transient")
    client.force_login(owner)
    page = client.get(reverse("dashboard:failures")).content.decode()
    links = [html.unescape(h) for h in re.findall(r'href="(/failures/retry-all/\?[^"]+)"', page)]
    counts = sorted(client.get(link).context["count"] for link in links)
    assert counts == [1, 2, 3]  # each group, and the "Retry all 3" button


# --- events and replay ------------------------------------------------------------------


@pytest.fixture
def event(workspace, connection, flow):
    return WebhookEvent.objects.create(
        workspace=workspace,
        connection=connection,
        source_kind="ghl",
        event_type="ContactUpdate",
        dedupe_key="wh-1",
        raw_body=json.dumps({"type": "ContactUpdate", "id": "c-9", "email": "grace@example.com"}),
        signature_verdict="valid_ed25519",
        status=WebhookStatus.PROCESSED,
        note="signature ok",
    )


def test_events_are_listed(client, owner, event):
    client.force_login(owner)
    page = client.get(reverse("dashboard:events")).content.decode()
    assert "<title>Webhook events · Syncdeck</title>" in page
    assert "ContactUpdate" in page and "Processed" in page and "Valid (Ed25519)" in page
    assert "signature ok" in page and "Replay</button>" in page


def test_replay_creates_runs(client, operator, event, flow):
    client.force_login(operator)
    response = client.post(reverse("dashboard:event_replay", args=[event.code]), follow=True)
    run = Run.objects.get(webhook_event=event)
    assert run.flow == flow and run.trigger == "replay" and run.record_id == "c-9"
    assert "Replayed: 1 run queued." in response.content.decode()
    row = client.post(
        reverse("dashboard:event_replay", args=[event.code]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert row.lstrip().startswith("<tr") and "Replayed: 1 run queued." in row
    assert Run.objects.filter(webhook_event=event).count() == 2
    assert AuditEntry.objects.filter(action="event.replayed").count() == 2


def test_replay_button_on_run_detail(client, owner, event, flow):
    run = make_failed(flow, webhook_event=event)
    client.force_login(owner)
    page = client.get(reverse("dashboard:run", args=[run.code])).content.decode()
    assert reverse("dashboard:event_replay", args=[event.code]) in page


# --- ownership and roles ----------------------------------------------------------------

RUN_URLS = [
    ("dashboard:run", "get"),
    ("dashboard:run_row", "get"),
    ("dashboard:run_retry", "post"),
    ("dashboard:run_dismiss", "post"),
]


@pytest.mark.parametrize("name,method", RUN_URLS)
def test_it_checks_run_ownership(client, outsider, flow, name, method):
    run = make_failed(flow)
    client.force_login(outsider)
    response = getattr(client, method)(reverse(name, args=[run.code]))
    assert response.status_code == 404
    run.refresh_from_db()
    assert not run.dismissed and not Run.objects.filter(retry_of=run).exists()


def test_it_checks_event_ownership(client, outsider, event):
    client.force_login(outsider)
    response = client.post(reverse("dashboard:event_replay", args=[event.code]))
    assert response.status_code == 404
    assert not Run.objects.exists()


def test_outsider_sees_nothing_in_lists(client, outsider, flow, event):
    run = make_failed(flow)
    client.force_login(outsider)
    for name in ("dashboard:runs", "dashboard:failures", "dashboard:events"):
        page = client.get(reverse(name)).content.decode()
        assert str(run.code) not in page and str(event.code) not in page
    client.post(reverse("dashboard:retry_all"), {"status": "failed"})
    assert not Run.objects.filter(retry_of=run).exists()


@pytest.mark.parametrize(
    "name,method", [("dashboard:run_retry", "post"), ("dashboard:run_dismiss", "post")]
)
def test_viewer_may_not_act_on_runs(client, viewer, flow, name, method):
    run = make_failed(flow)
    client.force_login(viewer)
    assert getattr(client, method)(reverse(name, args=[run.code])).status_code == 403
    run.refresh_from_db()
    assert not run.dismissed and not Run.objects.filter(retry_of=run).exists()


def test_viewer_may_not_retry_all_or_replay(client, viewer, flow, event):
    make_failed(flow)
    client.force_login(viewer)
    assert client.get(reverse("dashboard:retry_all"), {"status": "failed"}).status_code == 403
    assert client.post(reverse("dashboard:retry_all"), {"status": "failed"}).status_code == 403
    assert client.post(reverse("dashboard:event_replay", args=[event.code])).status_code == 403
    assert Run.objects.count() == 1


def test_viewer_sees_no_buttons(client, viewer, flow, event):
    run = make_failed(flow, webhook_event=event)
    client.force_login(viewer)
    pages = [
        client.get(reverse("dashboard:runs")).content.decode(),
        client.get(reverse("dashboard:failures")).content.decode(),
        client.get(reverse("dashboard:events")).content.decode(),
        client.get(reverse("dashboard:run", args=[run.code])).content.decode(),
    ]
    for page in pages:
        assert str(run.code) in page or str(event.code) in page
        for label in ("Retry", "Retry all", "Dismiss", "Replay", "Replay event"):
            assert f">{label}</button>" not in page, label
        assert "/retry/" not in page and "/dismiss/" not in page and "/replay/" not in page
        assert "/failures/retry-all/" not in page


def test_login_required(client):
    for name in ("dashboard:runs", "dashboard:failures", "dashboard:events"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_operator_sees_buttons(client, operator, flow, event):
    run = make_failed(flow, webhook_event=event)
    client.force_login(operator)
    failures = client.get(reverse("dashboard:failures")).content.decode()
    assert ">Retry</button>" in failures and ">Dismiss</button>" in failures
    assert "/failures/retry-all/" in failures
    detail = client.get(reverse("dashboard:run", args=[run.code])).content.decode()
    assert ">Retry</button>" in detail and ">Replay event</button>" in detail
