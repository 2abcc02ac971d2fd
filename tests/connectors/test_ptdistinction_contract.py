"""The connector contract applied to PT Distinction (via Zapier): fixtures only."""

from __future__ import annotations

import pytest

from integrations.connectors.ptdistinction.connector import PTDistinctionConnector
from integrations.models import Connection

from .contract import ConnectorContract

HOOK_PATH = "/sandbox/ptdistinction/hooks/catch/1234567/addclient/"


class TestPTDistinctionContract(ConnectorContract):
    @pytest.fixture
    def connector_cls(self):
        return PTDistinctionConnector

    @pytest.fixture
    def good_connection(self, live_server, workspace):
        conn = Connection(workspace=workspace, kind="ptdistinction", label="PT Distinction")
        conn.connector.connect_with(
            "shared_secret", {"add_client_hook_url": live_server.url + HOOK_PATH}
        )
        conn.save()
        return conn

    @pytest.fixture
    def bad_connection(self, workspace):
        # A connection whose inbound secret is gone (e.g. typed into a database by hand).
        conn = Connection(workspace=workspace, kind="ptdistinction", label="broken")
        conn.credentials = {"add_client_hook_url": "https://hooks.zapier.com/hooks/catch/1/x/"}
        conn.save()
        return conn
