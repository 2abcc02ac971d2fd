"""Fixtures for the "Your App" (rest) tests: the Your App sandbox over real HTTP.

Imported by test_rest_*.py and tests/integrations/test_rest_webhooks.py. Holds no tests.
"""

from __future__ import annotations

import copy

import pytest
import requests

from integrations.connectors.rest.connector import DEFAULT_OBJECTS
from integrations.models import Connection

API_KEY = "yourapp-demo-key"
WEBHOOK_SECRET = "whsec_yourapp_demo_secret"


def sandbox_config(base: str, **changes) -> dict:
    answer = requests.post(base + "/_control/config", json=changes, timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def sandbox_stats(base: str) -> dict:
    stats = requests.get(base + "/_control/stats", timeout=10).json()
    return stats.get("counters", stats) if isinstance(stats, dict) else {}


def rest_connection(
    workspace,
    base: str,
    *,
    api_key: str = API_KEY,
    webhook_secret: str = WEBHOOK_SECRET,
    auth_type: str = "bearer",
    header_name: str = "",
    save: bool = True,
) -> Connection:
    conn = Connection(workspace=workspace, kind="rest", label="Your App")
    conn.connector.configure(
        base + "/api",
        auth_type,
        api_key=api_key,
        header_name=header_name,
        webhook_url=base + "/hooks/syncdeck",
        webhook_secret=webhook_secret,
        objects=copy.deepcopy(DEFAULT_OBJECTS),
        test={"method": "GET", "path": "/contacts", "query": {"per_page": "1"}},
    )
    if save:
        conn.save()
    return conn


@pytest.fixture
def yourapp(live_server, settings) -> str:
    """The Your App sandbox's base URL, reset, delivering its own events inline."""
    settings.SANDBOX_YOURAPP_WEBHOOK_SYNC = True
    base = live_server.url + "/sandbox/yourapp"
    answer = requests.post(base + "/_control/reset", timeout=10)
    assert answer.status_code in (200, 204), answer.text[:500]
    return base


@pytest.fixture
def rest_conn(yourapp, workspace) -> Connection:
    return rest_connection(workspace, yourapp)
