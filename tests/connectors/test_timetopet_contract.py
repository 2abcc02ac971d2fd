"""The connector contract applied to Time To Pet (a read-only calendar feed): fixtures only."""

from __future__ import annotations

import pytest

from integrations.connectors.timetopet.connector import TimeToPetConnector
from integrations.models import Connection

from .contract import ConnectorContract
from .test_timetopet_feed import connect, control


class TestTimeToPetContract(ConnectorContract):
    @pytest.fixture
    def connector_cls(self):
        return TimeToPetConnector

    @pytest.fixture
    def good_connection(self, live_server, workspace):
        paths = control(live_server.url, "generate")
        return connect(workspace, live_server.url, paths["feed"])

    @pytest.fixture
    def bad_connection(self, live_server, workspace):
        # A feed URL Time To Pet no longer serves (the feed was reset in its settings).
        conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed")
        conn.credentials = {
            "feed_url": live_server.url + "/sandbox/timetopet/feeds/company/no-such-token.ics"
        }
        conn.config = {"interval": 5}
        conn.save()
        return conn
