"""The map step of a GHL create-task step in Chromium: its operation parameters, references."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from integrations.models import Membership, Role, Workspace
from tests.browser.conftest import shot
from tests.connectors.conftest import pit_connection
from tests.connectors.test_rest_fixtures import rest_connection, yourapp  # noqa: F401
from tests.wizard import test_map_params as drafts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_map_step_shows_operation_parameters(  # type: ignore[no-untyped-def]
    page,
    live_server,
    django_user_model,
    ghl_sandbox,
    yourapp,  # noqa: F811
):
    user = django_user_model.objects.create_user(
        username="mona", email="mona@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name="Mona's Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    ghl = pit_connection(workspace, scopes="contacts.readonly contacts.write")
    ghl.label = "HighLevel sandbox"
    ghl.save()
    app = rest_connection(workspace, yourapp)
    integration = drafts.make(workspace, ghl, app, [drafts.TASK_STEP, drafts.TAGS_STEP])

    page.goto(live_server.url + "/")
    page.fill("input[name=login]", "mona@example.com")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]")
    page.wait_for_selector("header >> text=Log out")

    page.goto(f"{live_server.url}/integrations/{integration.code}/setup/map/?flow=t1")
    params = page.locator("#params-title")
    assert params.is_visible()
    assert page.locator("#param-contactId select").input_value() == "contact"
    assert "Filled with the linked record" in page.locator("#param-taskId").inner_text()
    assert "not linked yet" in page.locator("#preview-params").inner_text()
    # Clearing the required parameter shows the problem in the live preview (htmx).
    page.fill("#param-contactId input[name$=source]", "")
    page.wait_for_selector("#preview .error:has-text('parameter contactId')")
    page.fill("#param-contactId input[name$=source]", "trigger.contact_id")
    page.wait_for_selector("#preview-params:has-text('contact:c-app-1')")
    page.wait_for_selector("#preview .error", state="detached")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot(page, "wizard-map-params")
    assert not page.console_errors  # type: ignore[attr-defined]
