"""Fixtures for the TIMIFY tests: the TIMIFY sandbox over real HTTP. Holds no tests.

Imported by tests/connectors/test_timify_*.py and tests/integrations/test_timify_e2e.py.
"""

from __future__ import annotations

import pytest
import requests

from integrations.models import Connection

APP_ID = "timify-demo-app"
APP_SECRET = "timify-demo-secret"
COMPANY_ID = "5f1c2a3b4c5d6e7f80910a1b"
WEBHOOK_SECRET = "whsec_timify_test_secret"


def control(base: str, what: str, body: dict | None = None) -> dict:
    answer = requests.post(f"{base}/_control/{what}", json=body or {}, timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def timify_connection(
    workspace,
    base: str,
    *,
    app_secret: str = APP_SECRET,
    webhook_secret: str = WEBHOOK_SECRET,
    resource_id: str = "res_anna",
    save: bool = True,
) -> Connection:
    conn = Connection(workspace=workspace, kind="timify", label="TIMIFY (test)")
    conn.connector.connect_with(
        "app_secret",
        {
            "app_id": APP_ID,
            "app_secret": app_secret,
            "company_id": COMPANY_ID,
            "server": "custom",
            "base_url": base,
            "resource_id": resource_id,
            "webhook_secret": webhook_secret,
        },
    )
    if save:
        conn.save()
    return conn


@pytest.fixture
def timify_base(live_server, settings) -> str:
    """The TIMIFY sandbox's base URL, reset to its seed, delivering webhooks inline."""
    settings.SANDBOX_TIMIFY_WEBHOOK_SYNC = True
    base = live_server.url + "/sandbox/timify"
    control(base, "reset")
    control(base, "config", {"error_rate": 0, "rate_429": 0, "slow_rate": 0})
    return base


@pytest.fixture
def timify_conn(timify_base, workspace) -> Connection:
    return timify_connection(workspace, timify_base)
