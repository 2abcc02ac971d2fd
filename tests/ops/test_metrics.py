"""/metrics: who may scrape it, and that its numbers move with what really happened."""

from __future__ import annotations

import pytest
import requests
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from integrations import demo
from integrations.models import Run, RunStatus
from tests.connectors.conftest import pit_connection
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(values, name: str, **labels) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_refuse_outsiders_and_accept_the_token(client, settings):
    settings.METRICS_TOKEN = "scrape-token-123"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 403
    scrape(client, HTTP_AUTHORIZATION="Bearer scrape-token-123", **outside)
    scrape(client)  # this machine (127.0.0.1) is an allowed network by default


def test_metrics_count_webhooks_runs_and_outside_calls(ghl_sandbox, workspace, client):
    before = scrape(client)
    # A forged delivery: stored as rejected, counted with its verdict.
    answer = requests.post(
        ghl_sandbox.url + "/webhooks/ghl/",
        data=b'{"type": "ContactUpdate"}',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 401
    # A real one: an edit in the GHL sandbox → signed webhook → a run (eager here).
    ghl = pit_connection(workspace)
    yourapp = demo.yourapp_connection(workspace, ghl_sandbox.url)
    demo.build_ghl_to_yourapp(workspace, ghl, yourapp, with_polling=False)
    call_command(
        "sandbox_subscribe", ghl_sandbox.url + "/webhooks/ghl/", "--exclusive", verbosity=0
    )
    contact = ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})["contacts"][0]
    ghl.connector.call("update-contact", contactId=contact["id"], body={"lastName": "Metrics"})
    run = wait_for(
        lambda: Run.objects.filter(record_id=contact["id"], status=RunStatus.SUCCEEDED).first(),
        what="the run",
    )
    after = scrape(client)

    rejected = dict(source="ghl", status="rejected", verdict="missing")
    name = "syncdeck_webhooks_received_total"
    assert value(after, name, **rejected) == value(before, name, **rejected) + 1
    received = sum(
        v - value(before, k[0], **dict(k[1]))
        for k, v in after.items()
        if k[0] == name and dict(k[1]).get("status") == "received"
    )
    assert received >= 1
    runs = "syncdeck_runs_finished_total"
    done = dict(status="succeeded", flow=str(run.flow_id))
    assert value(after, runs, **done) >= value(before, runs, **done) + 1
    assert value(after, "syncdeck_run_duration_seconds_count", status="succeeded") > value(
        before, "syncdeck_run_duration_seconds_count", status="succeeded"
    )
    calls = "syncdeck_outside_calls_total"
    assert (
        value(after, calls, app="ghl", status="200")
        >= value(before, calls, app="ghl", status="200") + 2
    )  # the search and the update, at least
    assert (
        value(after, "syncdeck_runs_in_progress", status="queued")
        == Run.objects.filter(status=RunStatus.QUEUED).count()
    )
    assert ("syncdeck_oldest_queued_run_age_seconds", ()) in after


def test_metrics_carry_no_secret(ghl_sandbox, workspace, client, settings):
    ghl = pit_connection(workspace)
    ghl.connector.call("search-contacts-advanced", body={"pageLimit": 1})
    text = client.get("/metrics").content.decode()
    token = ghl.credentials.get("pit") or ""
    assert token and token not in text
    assert settings.SECRET_KEY not in text
