"""The TIMIFY simulator: token, company header, customers in custom fields, appointment
rules and their error bodies, the paging envelope, webhooks with X-Webhook-Secret, faults,
control endpoints and the browse pages (Django's test client; webhooks to a local receiver)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.timify.models import TimifyConfig

from .conftest import Receiver

BASE = "/sandbox/timify"


class Timify:
    def __init__(self, client) -> None:
        self.client = client
        config = TimifyConfig.load()
        answer = self.post(
            "/v1/auth/token", {"appid": config.app_id, "appsecret": config.app_secret}
        )
        assert answer.status_code == 200, answer.content
        self.token = answer.json()["accessToken"]
        self.company = config.company_id

    def post(self, path, body, headers=None):
        return self.client.post(
            BASE + path,
            data=json.dumps(body),
            content_type="application/json",
            headers=headers or {},
        )

    def call(self, method, path, body=None, token=None, company=None, **query):
        headers = {
            "Authorization": f"Bearer {token if token is not None else self.token}",
            "company-id": company if company is not None else self.company,
        }
        from urllib.parse import urlencode

        url = BASE + path + ("?" + urlencode(query) if query else "")
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )


@pytest.fixture
def timify(client, db):
    return Timify(client)


def field_ids(timify) -> dict[str, str]:
    data = timify.call("GET", "/v1/customers/customfields").json()["data"]
    return {f["defaultId"] or f["label"]: f["id"] for f in data}


def in_days(days: int, hour: int = 10, minute: int = 0) -> str:
    day = datetime.now(UTC) + timedelta(days=days)
    return day.replace(hour=hour, minute=minute).strftime("%Y-%m-%d %H:%M")


def test_it_mints_a_token_and_refuses_a_wrong_secret(client, db):
    config = TimifyConfig.load()
    bad = client.post(
        BASE + "/v1/auth/token",
        data={"appid": config.app_id, "appsecret": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    assert bad.json() == {
        "status": 401,
        "code": "INVALID_CREDENTIALS",
        "message": "invalid appid or appsecret",
    }
    assert client.get(BASE + "/v1/auth/token").status_code == 405


def test_it_needs_the_token_and_the_company_header(timify):
    assert timify.call("GET", "/v1/customers", token="").status_code == 401
    assert timify.call("GET", "/v1/customers", token="tmf_forged").status_code == 401
    wrong = timify.call("GET", "/v1/customers", company="000000000000000000000000")
    assert wrong.status_code == 403 and "company-id" in wrong.json()["message"]
    assert timify.call("GET", "/v1/customers").status_code == 200


def test_expired_tokens_answer_401_until_a_new_one_is_minted(timify, client):
    assert client.post(BASE + "/_control/expire-tokens").json()["expired"] >= 1
    answer = timify.call("GET", "/v1/customers")
    assert answer.status_code == 401 and answer.json()["code"] == "TOKEN_EXPIRED"
    assert Timify(client).call("GET", "/v1/customers").status_code == 200


def test_customers_are_listed_in_the_paging_envelope(timify):
    page = timify.call("GET", "/v1/customers", page=2, limit=2).json()
    assert page["status"] == 200 and page["total"] == 3
    assert page["meta"] == {"page": 2, "limit": 2, "totalItems": 3, "totalPages": 2}
    assert len(page["data"]) == 1
    everyone = timify.call("GET", "/v1/customers", limit=0).json()
    assert everyone["meta"]["limit"] == 10000 and len(everyone["data"]) == 3
    mia = everyone["data"][0]
    assert {
        "id",
        "externalId",
        "firstName",
        "lastName",
        "fullName",
        "email",
        "totalBookings",
        "createdAt",
        "updatedAt",
        "ts",
        "customfields",
    } <= set(mia)
    assert mia["fullName"] == "Mia Berger" and mia["totalBookings"] == 1


def test_a_customer_is_created_and_patched_by_id_and_by_external_id(timify):
    ids = field_ids(timify)
    created = timify.call(
        "POST",
        "/v1/customers",
        {
            "externalId": "ghl-1",
            "customfields": [
                {"id": ids["firstName"], "value": "Ada"},
                {"id": ids["email"], "value": "ada@example.com"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    customer = created.json()["data"]
    assert customer["email"] == "ada@example.com" and customer["externalId"] == "ghl-1"
    patched = timify.call(
        "PATCH",
        "/v1/customers/ghl-1",
        {"customfields": [{"id": ids["lastName"], "value": "Lovelace"}]},
        external=1,
    )
    assert patched.status_code == 200 and patched.json()["data"]["fullName"] == "Ada Lovelace"
    by_id = timify.call(
        "PATCH",
        f"/v1/customers/{customer['id']}",
        {"customfields": [{"id": ids["Preferred contact time"], "value": "noon"}]},
    ).json()["data"]
    assert {
        "id": ids["Preferred contact time"],
        "label": "Preferred contact time",
        "value": "noon",
    } in by_id["customfields"]
    assert timify.call("PATCH", "/v1/customers/ghl-404", {}, external=1).status_code == 404


@pytest.mark.parametrize(
    "customfields,message",
    [
        ([{"id": "cfnope", "value": "x"}], "unknown custom field cfnope"),
        ([{"id": "cfemail", "value": "not-an-email"}], "is not an email address"),
        ([], "at least one custom field value"),
    ],
)
def test_bad_customers_are_refused_with_a_message(timify, customfields, message):
    answer = timify.call("POST", "/v1/customers", {"customfields": customfields})
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_appointments_need_a_window_of_at_most_365_days(timify):
    today = datetime.now(UTC).date()
    ok = timify.call(
        "GET", "/v1/appointments", from_date=str(today), to_date=str(today + timedelta(days=365))
    )
    assert ok.status_code == 200 and ok.json()["total"] == 3
    long = timify.call(
        "GET", "/v1/appointments", from_date=str(today), to_date=str(today + timedelta(days=366))
    )
    assert long.status_code == 400
    assert long.json()["code"] == "DATE_RANGE_TOO_LONG" and "366 days" in long.json()["message"]
    missing = timify.call("GET", "/v1/appointments")
    assert missing.status_code == 400 and "from_date" in missing.json()["message"]
    one_id = ok.json()["data"][0]["id"]
    by_ids = timify.call("GET", "/v1/appointments", ids=one_id).json()["data"]
    assert [a["id"] for a in by_ids] == [one_id]


@pytest.mark.parametrize(
    "body,message",
    [
        ({"start_datetime": in_days(3, minute=7)}, "divisible by 5"),
        ({"start_datetime": "2031-01-02T10:00"}, "YYYY-MM-DD HH:mm"),
        ({"start_datetime": in_days(3), "title": ""}, "title is required"),
        (
            {
                "start_datetime": in_days(3),
                "service_id": "svc_consult",
                "external_service_id": "ext-consult",
                "duration": 30,
            },
            "not both",
        ),
        (
            {
                "start_datetime": in_days(3),
                "resource_ids": ["res_anna"],
                "external_resource_ids": ["ext-anna"],
            },
            "not both",
        ),
        ({"start_datetime": in_days(3), "resource_ids": None}, "resource_ids or external"),
        ({"start_datetime": in_days(3), "duration": 7}, "divisible by 5"),
    ],
)
def test_appointment_rules_answer_400_with_a_reason(timify, body, message):
    body = {"title": "Visit", "resource_ids": ["res_anna"], **body}
    answer = timify.call("POST", "/v1/appointments", body)
    assert answer.status_code == 400, answer.content
    assert message in answer.json()["message"]


def test_an_appointment_with_service_and_duration_needs_no_title_and_is_deleted_in_bulk(timify):
    customer = timify.call("GET", "/v1/customers").json()["data"][0]
    made = timify.call(
        "POST",
        "/v1/appointments",
        {
            "start_datetime": in_days(4, minute=35),
            "service_id": "svc_consult",
            "duration": 45,
            "external_resource_ids": ["ext-room1"],
            "customer_id": customer["id"],
            "notes": "bring x-ray",
        },
    )
    assert made.status_code == 201, made.content
    appointment = made.json()["data"]
    assert appointment["title"] == "Consultation" and appointment["endDate"].endswith(":20")
    gone = timify.call(
        "POST",
        "/v1/appointments/delete/bulk",
        {"ids": [appointment["id"], "nope"], "has_notify_customers": False},
    )
    assert gone.json()["data"] == {"deleted": [appointment["id"]], "notFound": ["nope"]}


def test_webhooks_carry_the_shared_secret_header(timify, client, settings):
    settings.SANDBOX_TIMIFY_WEBHOOK_SYNC = True
    receiver = Receiver()
    try:
        answer = client.post(
            BASE + "/_control/subscribe",
            data={"url": receiver.url, "secret": "s3cret"},
            content_type="application/json",
        )
        assert answer.status_code == 200
        ids = field_ids(timify)
        timify.call(
            "POST", "/v1/customers", {"customfields": [{"id": ids["firstName"], "value": "Bo"}]}
        )
        (request,) = receiver.requests
        assert request["headers"]["X-Webhook-Secret"] == "s3cret"
        event = json.loads(request["raw"])
        assert event["type"] == "customer.created" and event["data"]["firstName"] == "Bo"
        assert event["id"] and event["companyId"] == timify.company
        deliveries = client.get(BASE + "/_control/deliveries").json()["data"]
        assert deliveries[0]["state"] == "ok" and deliveries[0]["type"] == "customer.created"
    finally:
        receiver.close()


def test_faults_are_injected_on_api_calls_only(timify, client):
    client.post(BASE + "/_control/config", data={"error_rate": 1}, content_type="application/json")
    assert timify.call("GET", "/v1/customers").status_code == 503
    assert client.get(BASE + "/_control/config").status_code == 200
    bad = client.post(
        BASE + "/_control/config", data={"error_rate": 3}, content_type="application/json"
    )
    assert bad.status_code == 400 and "error_rate" in bad.json()["fields"]


def test_the_browse_page_edits_a_customer_and_moves_an_appointment(timify, client):
    assert client.get(BASE + "/_ui/").status_code == 200
    customer = timify.call("GET", "/v1/customers").json()["data"][0]
    page = client.get(f"{BASE}/_ui/customers/{customer['id']}/")
    assert page.status_code == 200 and "Mia" in page.content.decode()
    ids = field_ids(timify)
    form = {ids["firstName"]: "Mira", ids["email"]: "mira@example.com"}
    assert client.post(f"{BASE}/_ui/customers/{customer['id']}/", form).status_code == 302
    appointment = timify.call("GET", "/v1/appointments", ids=f"a{1:023d}").json()["data"][0]
    bad = client.post(
        f"{BASE}/_ui/appointments/{appointment['id']}/",
        {"title": "Moved", "start": in_days(5, minute=7), "duration": 30},
    )
    assert bad.status_code == 200 and "divisible by 5" in bad.content.decode()
    moved = client.post(
        f"{BASE}/_ui/appointments/{appointment['id']}/",
        {"title": "Moved", "start": in_days(5, minute=10), "duration": 30},
    )
    assert moved.status_code == 302
    assert client.get(f"{BASE}/_ui/customers/nope/").status_code == 404


NASTY = ["", "-1", "99999999999999999999999", "²", "١٢٣", "a\x00b", "x" * 5000, "<script>"]


def test_nasty_values_never_make_a_500(timify, client):
    ids = field_ids(timify)
    for value in NASTY:
        for path, body in [
            ("/v1/customers", {"customfields": [{"id": ids["email"], "value": value}]}),
            ("/v1/customers", {"externalId": value, "customfields": value}),
            ("/v1/appointments", {"title": value, "start_datetime": value, "duration": value}),
            (
                "/v1/appointments",
                {
                    "title": "x",
                    "start_datetime": in_days(2),
                    "customer_id": value,
                    "resource_ids": [value],
                    "notes": value,
                },
            ),
            ("/v1/appointments/delete/bulk", {"ids": [value], "has_notify_customers": value}),
        ]:
            assert timify.call("POST", path, body).status_code < 500, (path, value)
        for query in (
            {"page": value, "limit": value},
            {"from_date": value, "to_date": value},
            {"ids": value},
        ):
            assert timify.call("GET", "/v1/appointments", **query).status_code < 500, query
            assert timify.call("GET", "/v1/customers", **query).status_code < 500, query
        assert timify.call("PATCH", "/v1/customers/x", {"customfields": value}).status_code < 500
        answer = client.post(
            BASE + "/v1/auth/token",
            data={"appid": value, "appsecret": value},
            content_type="application/json",
        )
        assert answer.status_code < 500
        for page in ("/_ui/customers/new", "/_ui/appointments/new"):
            form = {
                "title": value,
                "start": value,
                "duration": value,
                "customer": value,
                "notes": value,
                ids["email"]: value,
                "externalId": value,
            }
            assert client.post(BASE + page, form).status_code < 500, (page, value)
        assert (
            client.post(
                BASE + "/_control/subscribe",
                data={"url": value, "secret": value},
                content_type="application/json",
            ).status_code
            < 500
        )
    assert client.get(BASE + "/_ui/customers/a%00b/").status_code == 404
    assert timify.call("PATCH", "/v1/customers/a%00b", {}).status_code == 400
