"""Tests every connector must pass. A test module subclasses ConnectorContract and supplies
three fixtures: `connector_cls`, `good_connection` (a saved Connection that works against
the connector's sandbox) and `bad_connection` (a saved Connection with bad credentials).
"""

from __future__ import annotations

import re

from integrations.connectors.base import CheckResult, Connector
from integrations.connectors.registry import CONNECTORS, connector_class


class ConnectorContract:
    def test_registered_with_kind_and_label(self, connector_cls: type[Connector]):
        assert connector_cls.kind in CONNECTORS
        assert connector_class(connector_cls.kind) is connector_cls
        assert connector_cls.label and CONNECTORS[connector_cls.kind][0] == connector_cls.label

    def test_auth_methods_declared(self, connector_cls: type[Connector]):
        from integrations.models import AuthMethod

        assert connector_cls.auth_methods
        assert set(connector_cls.auth_methods) <= set(AuthMethod.values)
        # Every connect form is one of its auth methods, and its fields are well formed.
        assert set(connector_cls.connect_forms) <= set(connector_cls.auth_methods)
        for fields in connector_cls.connect_forms.values():
            names = [f.name for f in fields]
            assert fields and len(names) == len(set(names))
            assert all(f.label for f in fields)

    def test_default_scopes_are_declared_scopes(self, connector_cls: type[Connector]):
        names = [s.name for s in connector_cls.scopes]
        assert len(names) == len(set(names))
        assert set(connector_cls.default_scopes()) <= connector_cls.scope_names()
        assert all(s.explanation for s in connector_cls.scopes)

    def test_catalog_operations_are_well_formed(self, connector_cls: type[Connector]):
        assert len(connector_cls.catalog) > 0
        for op in connector_cls.catalog:
            assert op.id and op.name and op.category, op
            assert op.role in {"trigger", "action"}, op.id
            assert op.method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, op.id
            assert op.path.startswith("/"), op.id
            placeholders = set(re.findall(r"\{(\w+)\}", op.path))
            assert placeholders <= set(op.path_params), op.id
            assert set(op.path_params) <= placeholders, op.id
            if op.scope is not None and connector_cls.scopes:
                assert op.scope in connector_cls.scope_names(), op.id

    def test_check_succeeds_against_the_sandbox(self, good_connection):
        result = good_connection.connector.test()
        assert isinstance(result, CheckResult)
        assert result.ok, result.message
        assert result.message

    def test_check_fails_clearly_with_bad_credentials(self, bad_connection):
        result = bad_connection.connector.test()
        assert isinstance(result, CheckResult)
        assert not result.ok
        assert len(result.message) > 10
        assert "Traceback" not in result.message


class RelatedRecordsContract:
    """For connectors that carry records under a contact (tasks, notes, appointments).

    A test module supplies `good_connection`, `a_parent` (the id of a contact in the
    sandbox), `make_child` (object type, connection, parent id → the new child's id) and
    `child_events` (object type → an inbound event payload of a child of `a_parent`).
    """

    CHILDREN = ("task", "note", "appointment")

    def test_children_declare_a_parent_the_connector_carries(self, good_connection):
        types = good_connection.connector.object_types
        assert "contact" in types and types["contact"].parent is None
        for name in self.CHILDREN:
            child = types[name]
            assert child.parent == "contact", name
            assert child.parent_field, name
            assert child.parent in types, name

    def test_a_child_is_read_back_under_its_parent(self, good_connection, a_parent, make_child):
        connector = good_connection.connector
        for name in self.CHILDREN:
            child_id = make_child(name, good_connection, a_parent)
            record = connector.get_record(name, child_id, a_parent)
            assert isinstance(record, dict), name
            assert str(record["id"]) == str(child_id), name
            field = connector.object_types[name].parent_field
            assert str(record[field]) == str(a_parent), name

    def test_a_missing_child_reads_as_none(self, good_connection, a_parent):
        for name in self.CHILDREN:
            assert good_connection.connector.get_record(name, "nope404", a_parent) is None

    def test_child_events_carry_the_record_and_its_parent(
        self, good_connection, a_parent, child_events
    ):
        connector = good_connection.connector
        for name in self.CHILDREN:
            record = connector.event_record(child_events(name))
            field = connector.object_types[name].parent_field
            assert record.get("id"), name
            assert str(record.get(field)) == str(a_parent), name
