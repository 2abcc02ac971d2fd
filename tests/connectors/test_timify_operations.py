"""TIMIFY connector operations against the sandbox over real HTTP: tokens (cached
encrypted, minted again once on a 401, re-auth after), customers in custom fields,
appointment windows and rules, webhook bodies, and what a run step keeps of a call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.connectors.timify.connector import TimifyConnector
from integrations.models import Connection, ConnectionStatus
from sandbox.timify.models import TimifyToken

from .test_timify_fixtures import (  # noqa: F401
    APP_SECRET,
    control,
    timify_base,
    timify_conn,
    timify_connection,
)


def test_a_wrong_app_secret_is_refused_with_a_clear_sentence(timify_base, workspace):  # noqa: F811
    with pytest.raises(ConnectorError) as caught:
        timify_connection(workspace, timify_base, app_secret="wrong", save=False)
    assert caught.value.kind == ErrorKind.AUTH
    assert "refused the App ID and App Secret" in caught.value.message
    assert "wrong" not in caught.value.message


def test_the_token_is_cached_encrypted_and_reused(timify_conn):  # noqa: F811
    token = timify_conn.credentials["access_token"]
    assert token and token not in timify_conn.credentials_encrypted
    assert APP_SECRET not in timify_conn.credentials_encrypted
    minted = TimifyToken.objects.count()
    fresh = Connection.objects.get(pk=timify_conn.pk)
    fresh.connector.call("customer.list", page=1, limit=1)
    fresh.connector.call("customer.list", page=1, limit=1)
    assert TimifyToken.objects.count() == minted


def test_an_expired_token_is_minted_again_once(timify_conn, timify_base):  # noqa: F811
    old = timify_conn.credentials["access_token"]
    control(timify_base, "expire-tokens")
    minted = TimifyToken.objects.count()
    data = timify_conn.connector.call("customer.list", page=1, limit=1)
    assert data["total"] == 3
    assert TimifyToken.objects.count() == minted + 1
    stored = Connection.objects.get(pk=timify_conn.pk)
    assert stored.credentials["access_token"] not in ("", old)
    assert stored.status == ConnectionStatus.ACTIVE


def test_a_token_another_worker_renewed_is_used_not_minted_again(timify_conn):  # noqa: F811
    connector = timify_conn.connector
    newer = connector.renew_token(seen=timify_conn.credentials["access_token"])
    minted = TimifyToken.objects.count()
    stale = Connection.objects.get(pk=timify_conn.pk)
    assert stale.connector.renew_token(seen="an-older-token") == newer
    assert TimifyToken.objects.count() == minted


def test_a_rotated_secret_marks_the_connection_for_re_auth(timify_conn, timify_base):  # noqa: F811
    control(timify_base, "config", {"app_secret": "rotated-secret"})
    control(timify_base, "expire-tokens")
    with pytest.raises(ConnectorError) as caught:
        timify_conn.connector.call("customer.list")
    assert caught.value.kind == ErrorKind.AUTH
    stored = Connection.objects.get(pk=timify_conn.pk)
    assert stored.status == ConnectionStatus.NEEDS_REAUTH
    assert "App Secret" in stored.last_error
    result = stored.connector.test()
    assert not result.ok and "refused" in result.message


def test_customers_are_written_by_name_label_and_external_id(timify_conn):  # noqa: F811
    connector = timify_conn.connector
    names = connector.custom_field_names("contact")
    assert "Preferred contact time" in names.values() and "Email" in names.values()
    made = connector.call(
        "customer.create",
        body={
            "firstName": "Ada",
            "email": "ada@example.com",
            "phone": "+4930123456",
            "Preferred contact time": "mornings",
            "externalId": "ghl-ada",
        },
    )
    customer = made["data"]
    assert made["id"] == customer["id"] and customer["phone"] == "+4930123456"
    assert {c["label"]: c["value"] for c in customer["customFields"]}["Preferred contact time"] == (
        "mornings"
    )
    connector.call("customer.update_by_external_id", externalId="ghl-ada", body={"lastName": "L"})
    (found,) = connector.call("customer.find", email="ADA@example.com")["data"]
    assert found["fullName"] == "Ada L"
    assert connector.get_record("contact", customer["id"])["email"] == "ada@example.com"
    assert connector.get_record("contact", "nope") is None
    with pytest.raises(ConnectorError) as caught:
        connector.call("customer.update", id=customer["id"], body={"shoeSize": 42})
    assert "TIMIFY has no customer field 'shoeSize'" in caught.value.message


def test_a_window_over_365_days_is_refused_and_backfills_page_through_windows(timify_conn):  # noqa: F811
    connector = timify_conn.connector
    today = datetime.now(UTC).date()
    with pytest.raises(ConnectorError) as caught:
        connector.call(
            "appointment.list",
            from_date=str(today),
            to_date=str(today + timedelta(days=366)),
        )
    assert caught.value.status == 400 and caught.value.kind == ErrorKind.VALIDATION
    assert "at most 365 days" in caught.value.message
    windows = list(TimifyConnector.windows(date(2030, 1, 1), date(2032, 3, 1)))
    assert len(windows) == 3 and all((b - a).days <= 364 for a, b in windows)
    far = (today + timedelta(days=500)).strftime("%Y-%m-%d 09:00")
    connector.call("appointment.create", body={"title": "Far away", "start": far, "duration": 30})
    found, cursor = connector.poll({"object": "appointment", "days_ahead": 600}, "")
    titles = [a["title"] for a in found]
    assert "Far away" in titles and len(titles) == 4 and cursor
    again, _ = connector.poll({"object": "appointment", "days_ahead": 600}, cursor)
    assert again == []


def test_a_start_at_7_minutes_past_is_refused_clearly(timify_conn):  # noqa: F811
    with pytest.raises(ConnectorError) as caught:
        timify_conn.connector.call(
            "appointment.create", body={"title": "Odd", "start": "2031-01-02T10:07:00Z"}
        )
    assert caught.value.status == 400
    assert "minutes must be divisible by 5" in caught.value.message


def test_a_booked_appointment_is_never_booked_again_as_an_update(timify_conn):  # noqa: F811
    body = {"title": "Again", "start": "2031-01-02T10:00:00Z", "duration": 30}
    with pytest.raises(ConnectorError) as caught:
        timify_conn.connector.call("appointment.create", body=body, id="a1")
    assert caught.value.kind == ErrorKind.VALIDATION
    assert "cannot change a booked appointment" in caught.value.message
    today = datetime.now(UTC).date()
    listed = timify_conn.connector.call(
        "appointment.list", from_date=str(today), to_date=str(today + timedelta(days=365))
    )
    assert "Again" not in [a["title"] for a in listed["data"]]


def test_appointments_are_read_with_iso_times_and_deleted(timify_conn):  # noqa: F811
    connector = timify_conn.connector
    made = connector.call(
        "appointment.create",
        body={
            "title": "Check-up",
            "startTime": "2031-01-02T10:00:00Z",
            "endTime": "2031-01-02T10:45:00Z",
        },
    )["data"]
    assert made["startDate"] == "2031-01-02 10:00" and made["duration"] == 45
    assert made["startTime"] == "2031-01-02T10:00:00Z" and made["endTime"] == "2031-01-02T10:45:00Z"
    connector.call("appointment.delete", id=made["id"])
    assert connector.get_record("appointment", made["id"]) is None
    with pytest.raises(ConnectorError) as caught:
        connector.call("appointment.delete", id=made["id"])
    assert caught.value.status == 404


def test_webhook_bodies_give_their_type_id_and_record(timify_conn):  # noqa: F811
    body = {
        "id": "d9",
        "type": "event.updated",
        "data": {"id": "a9", "customerId": "c1", "startDate": "2031-01-02 10:00", "duration": 30},
    }
    connector = timify_conn.connector
    assert connector.inbound_event(body) == ("event.updated", "d9")
    assert connector.event_record(body)["endTime"] == "2031-01-02T10:30:00Z"
    customer = {"type": "customer.created", "data": {"id": "c1", "customfields": []}}
    assert connector.event_record(customer)["customFields"] == []
    assert connector.inbound_path.startswith("/webhooks/in/")


def test_a_recorded_call_keeps_no_secret(timify_conn, timify_base):  # noqa: F811
    control(timify_base, "expire-tokens")
    with http.recording() as calls:
        timify_conn.connector.call("customer.list", page=1, limit=1)
    stored = Connection.objects.get(pk=timify_conn.pk).credentials
    text = repr([vars(c) for c in calls])
    # 401, the token, the retry (then the customer fields, read once to label values)
    assert [c.status for c in calls][:3] == [401, 200, 200]
    assert calls[1].url.endswith("/v1/auth/token")
    for secret in (APP_SECRET, stored["access_token"], stored["webhook_secret"]):
        assert secret not in text
