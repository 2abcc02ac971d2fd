"""Fixtures for the TimeTonic tests: its simulator over real HTTP, connections made the two
ways (a pasted sesskey, or login + password + appkey) and its tables chosen in settings.

Imported by test_timetonic_*.py and tests/integrations/test_timetonic_e2e.py. No tests.
"""

from __future__ import annotations

import pytest
import requests

from integrations.models import Connection


def tt_control(base: str, name: str, **body) -> dict:
    answer = requests.post(f"{base}/_control/{name}", json=body, timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def tt_info(base: str) -> dict:
    return requests.get(f"{base}/_control/info", timeout=10).json()


def choose_tables(conn: Connection, info: dict) -> None:
    tables = info["tables"]
    conn.connector.apply_settings(
        {
            "b_c": info["b_c"],
            "table_contact": str(tables["Contacts"]),
            "table_task": str(tables["Tasks"]),
            "table_note": str(tables["Notes"]),
            "table_appointment": str(tables["Appointments"]),
        }
    )


def tt_connection(
    workspace, base: str, *, method: str = "session_key", sesskey: str = "", save: bool = True
) -> Connection:
    info = tt_info(base)
    conn = Connection(workspace=workspace, kind="timetonic", label="TimeTonic")
    values = {"base_url": base}
    if method == "session_key":
        values.update(o_u=info["o_u"], sesskey=sesskey or info["sesskey"])
    else:
        values.update(login=info["login"], password=info["password"], appkey=info["appkey"])
    conn.connector.connect_with(method, values)
    if save:
        conn.save()
    return conn


@pytest.fixture
def tt_base(live_server, settings) -> str:
    """The TimeTonic simulator's base URL (api.php is at /live/api.php), reset and seeded;
    its automations deliver inline."""
    settings.SANDBOX_TIMETONIC_DELIVERY_SYNC = True
    base = live_server.url + "/sandbox/timetonic"
    tt_control(base, "reset")
    return base


@pytest.fixture
def tt_conn(tt_base, workspace) -> Connection:
    conn = tt_connection(workspace, tt_base)
    choose_tables(conn, tt_info(tt_base))
    conn.save()
    return conn


@pytest.fixture
def tt_login_conn(tt_base, workspace) -> Connection:
    conn = tt_connection(workspace, tt_base, method="login")
    choose_tables(conn, tt_info(tt_base))
    conn.save()
    return conn
