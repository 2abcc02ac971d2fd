"""The connector contract applied to the generic "Your App" connector (fixtures only)."""

from __future__ import annotations

import pytest

from integrations.connectors.rest.connector import RestConnector

from .contract import ConnectorContract, RelatedRecordsContract
from .test_rest_fixtures import rest_conn, rest_connection, yourapp  # noqa: F401


class TestRestContract(ConnectorContract):
    @pytest.fixture
    def connector_cls(self):
        return RestConnector

    @pytest.fixture
    def good_connection(self, rest_conn):  # noqa: F811
        return rest_conn

    @pytest.fixture
    def bad_connection(self, yourapp, workspace):  # noqa: F811
        return rest_connection(workspace, yourapp, api_key="not-the-key")


def test_connection_catalog_is_well_formed_too(rest_conn):  # noqa: F811
    """The per-connection catalog obeys the same rules as the class one."""

    class _Resolved:
        catalog = rest_conn.connector.catalog
        scopes = ()

    TestRestContract().test_catalog_operations_are_well_formed(_Resolved)  # type: ignore[arg-type]


class TestRestRelatedRecords(RelatedRecordsContract):
    FIELDS = {
        "task": {"title": "Call", "due_date": "2031-01-02T10:00:00Z", "completed": False},
        "note": {"body": "Hi"},
        "appointment": {
            "title": "Visit",
            "start_time": "2031-01-02T10:00:00Z",
            "end_time": "2031-01-02T10:30:00Z",
        },
    }

    @pytest.fixture
    def good_connection(self, rest_conn):  # noqa: F811
        return rest_conn

    @pytest.fixture
    def a_parent(self, rest_conn):  # noqa: F811
        body = {"first_name": "Ada", "email": "ada.contract@example.com"}
        return rest_conn.connector.call("contact.create", body=body)["id"]

    @pytest.fixture
    def make_child(self):
        def make(name, conn, parent):
            body = {**self.FIELDS[name], "contact_id": parent}
            return conn.connector.call(f"{name}.create", body=body)["id"]

        return make

    @pytest.fixture
    def child_events(self, a_parent):
        def event(name):
            return {
                "type": f"{name}.created",
                "id": "evt_1",
                "data": {"id": f"{name}_1", "contact_id": a_parent},
            }

        return event
