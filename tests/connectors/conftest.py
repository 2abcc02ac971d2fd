"""GHL connections against the sandbox served over real HTTP (no mocks of our HTTP layer)."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command

from integrations.connectors.ghl.connector import GHLConnector
from integrations.models import Connection

ALL_SCOPES = ["contacts.readonly", "contacts.write", "locations.readonly"]


def main_location_id() -> str:
    """The seeded location that holds the demo data (businesses, campaigns, contacts)."""
    from sandbox.models import SandboxBusiness

    return SandboxBusiness.objects.order_by("pk").first().location_id


def mint_pit(location_id: str | None = None, scopes: str | None = None) -> dict:
    out = io.StringIO()
    args = ["sandbox_pit"]
    if location_id:
        args += ["--location", location_id]
    if scopes:
        args += ["--scopes", scopes]
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def pit_connection(workspace, location_id: str | None = None, scopes: str | None = None):
    minted = mint_pit(location_id or main_location_id(), scopes)
    conn = Connection(workspace=workspace, kind="ghl")
    conn.connector.connect_with_pit(minted["token"], minted["locationId"])
    conn.save()
    return conn


def _inputs(html: str) -> list[dict[str, str]]:
    found = []
    for tag in re.findall(r"<(?:input|button)\b[^>]*>", html):
        attrs = {k: unescape(v) for k, v in re.findall(r'(\w[\w-]*)="([^"]*)"', tag)}
        attrs["_checked"] = "checked" if re.search(r"\bchecked\b", tag) else ""
        found.append(attrs)
    return found


def obtain_code(authorize_url: str, *, location_id: str | None = None) -> str:
    """Play the person on the consent page: GET it, pick a location, press Allow."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    form: dict[str, str] = {}
    radios = []
    for attrs in _inputs(page.text):
        if attrs.get("type") == "hidden" and attrs.get("name"):
            form[attrs["name"]] = attrs.get("value", "")
        elif attrs.get("type") == "radio" and attrs.get("name") == "locationId":
            radios.append(attrs["value"])
    assert "csrfmiddlewaretoken" in form and radios, "consent page has no CSRF token/locations"
    form["locationId"] = location_id if location_id else radios[0]
    assert form["locationId"] in radios
    form["action"] = "allow"
    answer = browser.post(
        page.url, data=form, headers={"Referer": page.url}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text[:500]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["code"][0]


def oauth_connection(workspace, scopes: list[str] | None = None) -> Connection:
    conn = Connection(workspace=workspace, kind="ghl")
    connector = conn.connector
    url = connector.authorization_url("state-123", scopes or ALL_SCOPES)
    connector.complete_authorization(obtain_code(url, location_id=main_location_id()))
    conn.save()
    return conn


def grants(base_url: str) -> dict:
    return requests.get(base_url + "/_control/grants", timeout=10).json()


@pytest.fixture
def sandbox_base(ghl_sandbox) -> str:
    return ghl_sandbox.url + "/sandbox/ghl"


@pytest.fixture
def pit_conn(ghl_sandbox, workspace) -> Connection:
    return pit_connection(workspace)


@pytest.fixture
def ghl(pit_conn) -> GHLConnector:
    return pit_conn.connector


@pytest.fixture
def oauth_conn(ghl_sandbox, workspace) -> Connection:
    return oauth_connection(workspace)
