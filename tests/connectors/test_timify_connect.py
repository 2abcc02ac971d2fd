"""Connecting TIMIFY with the dashboard's generic connect form (App ID, App Secret, company
id, server), against the sandbox over real HTTP; the connection's card; roles."""

from __future__ import annotations

from django.urls import reverse

from integrations.models import Connection

from .test_timify_fixtures import (  # noqa: F401
    APP_ID,
    APP_SECRET,
    COMPANY_ID,
    timify_base,
    timify_conn,
)

FORM = reverse("dashboard:connection_form", args=["timify", "app_secret"])


def values(base: str, **changes: str) -> dict[str, str]:
    return {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "company_id": COMPANY_ID,
        "server": "custom",
        "base_url": base,
        "resource_id": "res_anna",
        "webhook_secret": "",
        **changes,
    }


def test_an_owner_connects_timify_and_the_secrets_stay_encrypted(client, owner, timify_base):  # noqa: F811
    client.force_login(owner)
    page = client.get(FORM)
    assert page.status_code == 200
    assert "App Secret" in page.content.decode() and "api-stg.timify.com" in page.content.decode()
    response = client.post(FORM, values(timify_base))
    assert response.status_code == 302, response.content.decode()[:2000]
    conn = Connection.objects.get(kind="timify")
    assert (conn.auth_method, conn.account_id, conn.status) == ("app_secret", COMPANY_ID, "active")
    creds = conn.credentials
    assert creds["access_token"] and creds["webhook_secret"].startswith("whsec_")
    for secret in (APP_SECRET, creds["access_token"], creds["webhook_secret"]):
        assert secret not in conn.credentials_encrypted
        assert secret not in str(conn.config)
    cards = client.get(reverse("dashboard:connections")).content.decode()
    assert "TIMIFY" in cards and APP_SECRET not in cards and creds["webhook_secret"] not in cards


def test_a_wrong_secret_is_said_and_nothing_is_saved(client, owner, timify_base):  # noqa: F811
    client.force_login(owner)
    response = client.post(FORM, values(timify_base, app_secret="wrong"))
    assert response.status_code == 200
    assert "refused the App ID and App Secret" in response.content.decode()
    assert not Connection.objects.filter(kind="timify").exists()


def test_another_server_needs_a_url(client, owner, timify_base):  # noqa: F811
    client.force_login(owner)
    response = client.post(FORM, values(timify_base, base_url=""))
    assert response.status_code == 200
    assert "other base URL" in response.content.decode()
    assert not Connection.objects.filter(kind="timify").exists()


def test_a_viewer_cannot_connect(client, viewer, timify_base):  # noqa: F811
    client.force_login(viewer)
    assert client.post(FORM, values(timify_base)).status_code == 403
    assert not Connection.objects.filter(kind="timify").exists()


def test_an_outsider_cannot_reconnect_anothers_connection(client, outsider, timify_conn):  # noqa: F811
    client.force_login(outsider)
    url = reverse(
        "dashboard:connection_form_replace", args=[timify_conn.code, "timify", "app_secret"]
    )
    assert client.get(url).status_code == 404
    assert client.post(url, values("http://127.0.0.1:9")).status_code == 404


def test_the_card_says_what_timify_does_not_offer(client, owner, timify_conn):  # noqa: F811
    client.force_login(owner)
    page = client.get(reverse("dashboard:connections")).content.decode()
    assert "TIMIFY has no tasks or notes" in page
