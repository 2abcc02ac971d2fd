from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium is required under CI=true and is missing at {CHROMIUM}")
        pytest.skip("no Chromium here (apt-get install chromium)")
    # Playwright's sync API runs its own event loop; Django must allow DB access from it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def operator_with_flow(django_user_model, name: str):  # type: ignore[no-untyped-def]
    """A verified operator who can log in (password "correct horse"), their workspace and
    one GHL webhook flow; returns (user, workspace, flow)."""
    from allauth.account.models import EmailAddress

    from integrations.models import (
        Connection,
        Flow,
        Integration,
        Membership,
        Role,
        TriggerKind,
        Workspace,
    )

    user = django_user_model.objects.create_user(
        username=name.lower(), email=f"{name.lower()}@example.com", password="correct horse"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    workspace = Workspace.objects.create(name=f"{name}'s Agency")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OPERATOR)
    connection = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    connection.credentials = {"pit": "x" * 20}
    connection.save()
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    flow = Flow.objects.create(
        integration=integration,
        name="contacts",
        source=connection,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactUpdate"]},
    )
    return user, workspace, flow
