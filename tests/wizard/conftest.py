"""The wizard against both sandboxes over real HTTP: a GHL PIT connection, Your App reset."""

from __future__ import annotations

import pytest

from tests.connectors.conftest import pit_connection
from tests.connectors.test_rest_fixtures import rest_connection, yourapp  # noqa: F401


@pytest.fixture
def ghl_conn(ghl_sandbox, workspace):  # type: ignore[no-untyped-def]
    conn = pit_connection(workspace, scopes="contacts.readonly contacts.write")
    conn.scopes_requested = conn.scopes_granted = ["contacts.readonly", "contacts.write"]
    conn.save()
    return conn


@pytest.fixture
def app_conn(yourapp, workspace):  # type: ignore[no-untyped-def]  # noqa: F811
    return rest_connection(workspace, yourapp)
