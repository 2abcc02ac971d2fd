"""A new owner sets up "HighLevel contact → Your App" in the wizard, end to end, in Chromium."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from integrations.models import Integration, IntegrationStatus, Membership, Role, Run, Workspace
from tests.browser.conftest import shot
from tests.connectors.conftest import pit_connection
from tests.connectors.test_rest_fixtures import yourapp  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner_with_ghl(django_user_model, ghl_sandbox):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        username="wanda", email="wanda@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Wanda's Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    conn = pit_connection(workspace, scopes="contacts.readonly contacts.write")
    conn.scopes_requested = conn.scopes_granted = ["contacts.readonly", "contacts.write"]
    conn.label = "HighLevel sandbox"
    conn.save()
    return conn


def test_new_user_sets_up_an_integration(page, live_server, owner_with_ghl, yourapp):  # type: ignore[no-untyped-def]  # noqa: F811
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=login]", "wanda@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_selector("header >> text=Log out")

    page.click("nav >> text=Integrations")
    page.wait_for_url("**/integrations/")
    assert "No integrations yet" in page.content()
    shot(page, "wizard-01-list-empty")
    page.click("#new-integration")
    page.fill("input[name=name]", "GHL to Your App")
    shot(page, "wizard-02-new")
    page.click("main button[type=submit]")
    page.wait_for_url("**/setup/credentials/")
    assert page.title().startswith("Apps and credentials")

    page.select_option("#pick-a", str(owner_with_ghl.code))
    page.fill("input[name=label]", "My CRM")
    page.fill("input[name=base_url]", yourapp + "/api")
    page.fill("input[name=api_key]", "yourapp-demo-key")
    page.fill("input[name=webhook_url]", yourapp + "/hooks/syncdeck")
    page.click("#connect-yourapp")
    page.wait_for_selector("#sides .ok:has-text('Connected')", timeout=60_000)
    assert "My CRM" in page.locator("#pick-b").inner_text()
    page.select_option("#pick-a", str(owner_with_ghl.code))
    shot(page, "wizard-03-credentials")
    page.click("#next")
    page.wait_for_url("**/setup/flows/**")

    assert page.locator("#template-ghl_tasks_to_app button").is_enabled()
    page.fill("#op-search", "delete")
    page.wait_for_function(
        "!document.querySelector('#action-list').innerText.includes('Create contact')"
    )
    shot(page, "wizard-04-flows-search")
    page.click("#template-ghl_contact_to_app button")
    page.wait_for_selector("#flow-t1")
    assert "contacts.readonly ✓" in page.locator("#scope-checks").inner_text()
    shot(page, "wizard-05-flows-template")
    page.click("#next")
    page.wait_for_url("**/setup/map/")
    preview = page.locator("#preview-result")
    before = preview.inner_text()
    assert "first_name" in before
    # Customise one row: the company gets a constant instead of GHL's company name.
    company_row = page.locator("tr.map-row", has=page.locator("input[value=company]"))
    company_row.locator("input[aria-label='Source field']").fill("")
    company_row.locator("input[aria-label=Constant]").fill("From the wizard")
    page.wait_for_function(
        "(document.querySelector('#preview-result') || {innerText: ''}).innerText"
        ".includes('From the wizard')"
    )
    shot(page, "wizard-06-map-preview")
    page.click("#next")
    page.wait_for_url("**/setup/map/?flow=t2")  # the template's delete flow: nothing to map
    page.click("#next")
    page.wait_for_url("**/setup/test/")
    page.click("#dry-run-btn")
    page.wait_for_selector("#dry-run .dry-result")
    assert "contact.create" in page.locator("#dry-run").inner_text()
    shot(page, "wizard-07-dry-run")
    page.click("#test-sync-btn")
    page.wait_for_url("**/setup/test/**run=**")
    page.wait_for_selector("#test-run-status:has-text('Succeeded')")
    assert Run.objects.get(trigger="test").status == "succeeded"
    shot(page, "wizard-08-test-sync")

    page.go_back()  # the back button returns to the previous step page
    page.wait_for_url("**/setup/test/")
    page.go_forward()
    page.click("#next")
    page.wait_for_url("**/setup/publish/")
    page.check("#backfill-check")
    page.click("#publish-btn")
    page.wait_for_url("**/setup/publish/?preview=*")
    page.wait_for_selector("#run-now-lines")
    shot(page, "wizard-09a-backfill-preview")
    page.click("#confirm-backfill")
    page.wait_for_url("**/setup/publish/?backfill=*")
    page.wait_for_selector("#backfill-finished")
    done = page.locator("#backfill-done").inner_text()
    assert done == page.locator("#backfill-total").inner_text() and int(done) > 0
    shot(page, "wizard-09-published-backfill")
    integration = Integration.objects.get(name="GHL to Your App")
    assert integration.status == IntegrationStatus.ACTIVE and integration.version == 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/integrations/{integration.code}/setup/map/")
    # The main area fits (the top bar's nav belongs to base.html).
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 390
    shot(page, "wizard-10-map-phone")
    page.goto(base + "/integrations/")
    assert "v1" in page.content()
    shot(page, "wizard-11-list-phone")
    assert page.console_errors == []  # type: ignore[attr-defined]
