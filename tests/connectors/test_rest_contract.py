"""The connector contract applied to the generic "Your App" connector (fixtures only)."""

from __future__ import annotations

import pytest

from integrations.connectors.rest.connector import RestConnector

from .contract import ConnectorContract
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
