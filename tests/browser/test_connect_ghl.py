"""A person logs in, connects HighLevel through the sandbox's authorize page, tests it."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from integrations.models import Connection, Membership, Role, Workspace
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        username="pat", email="pat@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Pat's Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


def test_login_connect_and_test(page, ghl_sandbox, person):  # type: ignore[no-untyped-def]
    base = ghl_sandbox.url
    page.goto(base + "/")
    page.fill("input[name=login]", "pat@example.com")
    page.fill("input[name=password]", "correct horse")
    shot(page, "01-login")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")  # the overview, empty: it points at Connections
    page.click("nav >> text=Connections")
    page.wait_for_url("**/connections/")
    assert "No connections yet" in page.content()
    shot(page, "02-connections-empty")

    page.click("#connect-ghl")
    page.wait_for_url("**/connections/new/ghl/")
    assert page.is_checked("input[value='contacts.readonly']")
    assert not page.is_checked("input[value='contacts.write']")
    page.check("input[value='locations.readonly']")
    shot(page, "03-choose-scopes")
    page.click("#continue")

    page.wait_for_url("**/sandbox/ghl/v2/oauth/chooselocation**")
    shot(page, "04-sandbox-authorize")
    page.click("#allow")

    page.wait_for_url("**/connections/")
    connection = Connection.objects.get()
    card = page.locator(f"#conn-{connection.code}")
    assert connection.account_id in card.inner_text()
    assert connection.account_name and connection.account_name in card.inner_text()
    assert "expires in 23" in card.inner_text()
    shot(page, "05-connected")

    card.locator(".test-btn").click()
    page.wait_for_selector(f"#conn-{connection.code} .check .ok", timeout=15000)
    assert "contacts readable" in page.locator(f"#conn-{connection.code} .check").inner_text()
    shot(page, "06-tested")
    assert page.console_errors == []  # type: ignore[attr-defined]
