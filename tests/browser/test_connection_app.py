"""A person opens a Your App connection: sees its paths, its inbound URL and the secret once,
edits a path, rotates the secret and reconnects."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from integrations.models import AuditEntry, Connection, Membership, Role, Workspace
from tests.browser.conftest import shot
from tests.connectors.test_rest_fixtures import API_KEY, WEBHOOK_SECRET, rest_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        username="ria", email="ria@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Ria's Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


def test_paths_secret_rotation_and_reconnect(page, live_server, settings, person):  # type: ignore[no-untyped-def]
    settings.SANDBOX_YOURAPP_WEBHOOK_SYNC = True
    base = live_server.url
    workspace = Workspace.objects.get(name="Ria's Agency")
    conn = rest_connection(workspace, base + "/sandbox/yourapp")
    page.goto(base + "/")
    page.fill("input[name=login]", "ria@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/connections/")
    page.click("text=Paths and webhooks")
    page.wait_for_url(f"**/connections/{conn.code}/app/")
    assert page.inner_text("#webhook-secret") == WEBHOOK_SECRET
    assert page.inner_text("#inbound-url") == f"{base}/webhooks/in/{conn.inbound_token}/"
    assert page.input_value("input[name=appointment__find__path]") == "/appointments"
    shot(page, "connection-app-01-first-view")

    page.fill("input[name=task__update__path]", "/v2/tasks/{id}")
    page.select_option("select[name=task__update__method]", "PUT")
    page.click("#save-paths")
    page.wait_for_selector("text=Saved the paths.")
    assert page.input_value("input[name=task__update__path]") == "/v2/tasks/{id}"
    assert page.locator("#webhook-secret").count() == 0  # shown once
    assert WEBHOOK_SECRET not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#rotate-secret")
    page.wait_for_selector("#webhook-secret")
    conn.refresh_from_db()
    assert page.inner_text("#webhook-secret") == conn.credentials["webhook_secret"]
    assert AuditEntry.objects.filter(action="connection.secret_rotated").exists()
    shot(page, "connection-app-02-rotated")

    page.click("#reconnect-app")
    page.wait_for_url("**/app/reconnect/")
    assert page.input_value("input[name=api_key]") == ""
    page.fill("input[name=api_key]", API_KEY)
    page.click("#save-reconnect")
    page.wait_for_url(f"**/connections/{conn.code}/app/")
    assert "Reconnected" in page.content()
    conn = Connection.objects.get(pk=conn.pk)
    assert conn.last_check_ok and conn.config["objects"]["task"]["update"]["method"] == "PUT"
    shot(page, "connection-app-03-reconnected")
