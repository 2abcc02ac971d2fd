"""The connector contracts applied to TIMIFY, against its sandbox over real HTTP."""

from __future__ import annotations

import pytest

from integrations.connectors.base import Connector
from integrations.connectors.timify.connector import TimifyConnector
from integrations.models import AuthMethod, Connection

from .contract import ConnectorContract, RelatedRecordsContract
from .test_timify_fixtures import (  # noqa: F401
    APP_ID,
    COMPANY_ID,
    timify_base,
    timify_conn,
)


class TestTimifyContract(ConnectorContract):
    @pytest.fixture
    def connector_cls(self):
        return TimifyConnector

    @pytest.fixture
    def good_connection(self, timify_conn):  # noqa: F811
        return timify_conn

    @pytest.fixture
    def bad_connection(self, timify_base, workspace):  # noqa: F811
        conn = Connection(
            workspace=workspace,
            kind="timify",
            auth_method="app_secret",
            config={"base_url": timify_base, "company_id": COMPANY_ID},
        )
        conn.credentials = {"app_id": APP_ID, "app_secret": "not-the-secret"}
        conn.save()
        return conn

    def test_connects_only_through_its_forms(self, connector_cls: type[Connector]):
        assert connector_cls.auth_methods == ("app_secret",)
        assert set(connector_cls.auth_methods) <= set(AuthMethod.values)
        assert set(connector_cls.connect_forms) == {"app_secret"}


class TestTimifyRelatedRecords(RelatedRecordsContract):
    CHILDREN = ("appointment",)  # TIMIFY has no tasks and no notes

    @pytest.fixture
    def good_connection(self, timify_conn):  # noqa: F811
        return timify_conn

    @pytest.fixture
    def a_parent(self, timify_conn):  # noqa: F811
        body = {"firstName": "Ada", "email": "ada.contract@example.com"}
        return timify_conn.connector.call("customer.create", body=body)["id"]

    @pytest.fixture
    def make_child(self):
        def make(name, conn, parent):
            body = {
                "title": "Visit",
                "start": "2031-01-02T10:00:00Z",
                "duration": 30,
                "customer_id": parent,
            }
            return conn.connector.call(f"{name}.create", body=body)["id"]

        return make

    @pytest.fixture
    def child_events(self, a_parent):
        def event(name):
            return {
                "id": "d1",
                "type": "event.created",
                "companyId": COMPANY_ID,
                "data": {
                    "id": "a1",
                    "customerId": a_parent,
                    "startDate": "2031-01-02 10:00",
                    "duration": 30,
                },
            }

        return event
