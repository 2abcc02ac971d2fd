"""The connector contract and the related-records contract applied to TimeTonic, against
its simulator over real HTTP (fixtures only)."""

from __future__ import annotations

import pytest

from integrations.connectors.timetonic.connector import TimeTonicConnector
from integrations.models import AuthMethod

from .contract import ConnectorContract, RelatedRecordsContract
from .timetonic_fixtures import tt_base, tt_conn, tt_connection  # noqa: F401


class TestTimeTonicContract(ConnectorContract):
    @pytest.fixture
    def connector_cls(self):
        return TimeTonicConnector

    @pytest.fixture
    def good_connection(self, tt_conn):  # noqa: F811
        return tt_conn

    @pytest.fixture
    def bad_connection(self, tt_base, workspace):  # noqa: F811
        return tt_connection(workspace, tt_base, sesskey="not-a-sesskey")

    def test_connects_only_through_its_forms(self, connector_cls):
        assert connector_cls.auth_methods
        assert set(connector_cls.auth_methods) <= set(AuthMethod.values)
        assert set(connector_cls.connect_forms) == set(connector_cls.auth_methods)


class TestTimeTonicRelatedRecords(RelatedRecordsContract):
    FIELDS = {
        "task": {"Title": "Call", "Due date": "2031-01-02T10:00:00Z", "Done": False},
        "note": {"Text": "Hi"},
        "appointment": {
            "Title": "Visit",
            "Start": "2031-01-02T10:00:00Z",
            "End": "2031-01-02T10:30:00Z",
        },
    }

    @pytest.fixture
    def good_connection(self, tt_conn):  # noqa: F811
        return tt_conn

    @pytest.fixture
    def a_parent(self, tt_conn):  # noqa: F811
        body = {"First name": "Ada", "Email": "ada.contract@example.com"}
        return tt_conn.connector.call("contact.create", body=body)["id"]

    @pytest.fixture
    def make_child(self):
        def make(name, conn, parent):
            body = {**self.FIELDS[name], "Contact": parent}
            return conn.connector.call(f"{name}.create", body=body)["id"]

        return make

    @pytest.fixture
    def child_events(self, a_parent):
        def event(name):
            return {
                "event": f"{name}.created",
                "catId": 2,
                "rowId": 77,
                "changedAt": "2031-01-01T00:00:00.000Z",
                "row": {"Title": "x", "Contact": [int(a_parent)]},
            }

        return event
