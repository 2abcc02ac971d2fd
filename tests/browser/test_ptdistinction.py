"""A person connects PT Distinction (via Zapier) in a browser, follows the card's link to the
Zap instructions (secret shown once), then runs a Zap from the stand-in Zapier page and
sees the delivery accepted."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from integrations.models import Connection, Membership, Role, WebhookEvent, Workspace
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        username="pia", email="pia@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Pia's Gym")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


def test_connect_read_the_zap_instructions_and_receive_a_delivery(page, live_server, person):  # type: ignore[no-untyped-def]
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=login]", "pia@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    page.goto(base + "/connections/")
    page.click("#connect-ptdistinction-shared_secret")
    assert "contacts only" in page.inner_text(".notice").lower()
    hook = base + "/sandbox/ptdistinction/hooks/catch/1234567/addclient/"
    page.fill("input[name=add_client_hook_url]", hook)
    page.click("#save-connection")
    page.wait_for_url(base + "/connections/")
    conn = Connection.objects.get(kind="ptdistinction")
    card = page.inner_text(f"#conn-{conn.code}")
    assert f"/webhooks/in/{conn.inbound_token}/" in card and "X-Webhook-Secret" in card
    shot(page, "ptdistinction-01-card")

    page.click(f"#conn-{conn.code} >> text=copy-paste instructions")
    page.wait_for_url(f"**/connections/{conn.code}/zapier/")
    secret = page.inner_text("#webhook-secret")
    assert secret == conn.credentials["webhook_secret"]
    inbound = page.inner_text("#inbound-url")
    assert page.locator("#zap-client_added_to_group").count() == 1
    shot(page, "ptdistinction-02-zap-instructions")
    page.reload()
    assert page.locator("#webhook-secret").count() == 0  # shown once

    # The stand-in Zapier: point the Zaps at the URL with the secret, run "Client Added".
    page.goto(base + "/sandbox/ptdistinction/_ui/")
    page.fill("input[name=target_url]", inbound)
    page.fill("input[name=webhook_secret]", secret)
    page.click("#save-config")
    page.select_option("select[name=trigger]", "client_added")
    page.fill("#send input[name=email]", "zoe@example.com")
    page.fill("#send input[name=first_name]", "Zoe")
    page.click("#send-delivery")
    page.wait_for_selector("#deliveries >> text=zoe@example.com")
    assert "200" in page.inner_text("#deliveries tbody tr")
    shot(page, "ptdistinction-03-zapier-stand-in")
    event = WebhookEvent.objects.get(connection=conn)
    assert event.event_type == "client_added" and event.status == "received"
    assert page.console_errors == []  # type: ignore[attr-defined]
