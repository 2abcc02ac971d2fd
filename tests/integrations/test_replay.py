"""Replay a flow's failures with its new mapping: 20 runs failed on a mapping mistake; the
dry run shows what each would now write, and the replay (a real worker, over both
sandboxes) turns them into 20 successes linked to the old runs."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.models import Flow, RecordLink, Run, RunStatus, Step
from integrations.sync import dispatch
from tests.integrations.test_pipeline import (  # noqa: F401
    finished,
    pipeline,
    some_contacts,
    yourapp_contacts,
)
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_failures_replayed_with_the_fixed_mapping(pipeline, operator):  # noqa: F811
    pipeline["start_worker"]()
    integration = pipeline["integration"]
    flow = Flow.objects.get(integration=integration, name__startswith="New or updated")
    step = Step.objects.get(flow=flow, record_mode="sync")
    good = list(step.mapping)
    # A typo in the mapping: every run fails (a validation error, not retried).
    step.mapping = [
        {**rule, "source": "trigger.mail"} if rule["target"] == "email" else rule for rule in good
    ]
    step.mapping[[r["target"] for r in step.mapping].index("email")]["required"] = True
    step.save()
    contacts = some_contacts(pipeline["ghl"], 20)
    assert len(contacts) == 20
    for contact in contacts:
        dispatch.create_run(flow, contact, trigger="manual", event_type="ContactUpdate")
    failed = wait_for(
        lambda: (
            finished(Run.objects.filter(flow=flow))
            and list(Run.objects.filter(flow=flow, status=RunStatus.FAILED))
        ),
        what="20 failed runs",
    )
    assert len(failed) == 20 and all("email" in r.error for r in failed), failed[0].error

    step.mapping = good  # the fix
    step.save()
    client = Client()
    client.force_login(operator)
    dry = client.get(f"/flows/{flow.code}/replay/", {"limit": 20})
    assert dry.status_code == 200
    assert "<strong>20 of 20</strong> would now get past the mapping" in dry.text
    for contact in contacts:
        assert contact["email"].lower() in dry.text  # the email each would now send
    assert not Run.objects.filter(trigger="replay").exists()  # a dry run writes nothing
    assert not yourapp_contacts(pipeline["base"], email=contacts[0]["email"])

    answer = client.post(f"/flows/{flow.code}/replay/", {"limit": 20})
    assert answer.status_code == 302
    replays = Run.objects.filter(trigger="replay")
    wait_for(lambda: replays.count() == 20 and finished(replays), what="the 20 replays")
    assert set(replays.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}, [
        r.error for r in replays.exclude(status=RunStatus.SUCCEEDED)
    ]
    assert set(replays.values_list("retry_of_id", flat=True)) == {r.pk for r in failed}
    for contact in contacts:
        assert yourapp_contacts(pipeline["base"], email=contact["email"])
    assert RecordLink.objects.filter(object_type="contact").count() == 20
    # Replayed failures count as dealt with: nothing left to replay.
    assert "No failure to replay" in client.get(f"/flows/{flow.code}/replay/").text
