"""The connector contract applied to GHL (fixtures only)."""

from __future__ import annotations

import pytest

from integrations.connectors.ghl.connector import GHLConnector
from integrations.models import Connection

from .contract import ConnectorContract


class TestGHLContract(ConnectorContract):
    @pytest.fixture
    def connector_cls(self):
        return GHLConnector

    @pytest.fixture
    def good_connection(self, pit_conn):
        return pit_conn

    @pytest.fixture
    def bad_connection(self, ghl_sandbox, workspace):
        conn = Connection(workspace=workspace, kind="ghl")
        conn.connector.connect_with_pit("pit-not-a-real-token", "nowhere")
        conn.save()
        return conn


def test_check_on_unsaved_connection_with_bad_token_does_not_crash(ghl_sandbox, workspace):
    """connecting.connect_with_token tests a PIT before saving the connection."""
    conn = Connection(workspace=workspace, kind="ghl")
    conn.connector.connect_with_pit("pit-not-a-real-token", "nowhere")
    result = conn.connector.test()
    assert not result.ok and "401" in result.message
    assert conn.pk is None and conn.status == "needs_reauth"


def test_check_with_oauth_connection(oauth_conn):
    result = oauth_conn.connector.test()
    assert result.ok and "contacts" in result.message
