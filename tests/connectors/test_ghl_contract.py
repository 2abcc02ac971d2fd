"""The connector contract applied to GHL (fixtures only)."""

from __future__ import annotations

import pytest

from integrations.connectors.ghl.connector import GHLConnector
from integrations.models import Connection

from .contract import ConnectorContract, RelatedRecordsContract


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


class TestGHLRelatedRecords(RelatedRecordsContract):
    @pytest.fixture
    def good_connection(self, pit_conn):
        return pit_conn

    @pytest.fixture
    def a_parent(self, pit_conn):
        found = pit_conn.connector.call("search-contacts-advanced", body={"pageLimit": 1})
        return found["contacts"][0]["id"]

    @pytest.fixture
    def make_child(self):
        def make(name, conn, parent):
            call = conn.connector.call
            if name == "task":
                body = {"title": "Call", "dueDate": "2031-01-02T10:00:00Z", "completed": False}
                return call("create-task", contactId=parent, body=body)["task"]["id"]
            if name == "note":
                return call("create-note", contactId=parent, body={"body": "Hi"})["note"]["id"]
            calendar = call("get-calendars", locationId=conn.account_id)["calendars"][0]["id"]
            body = {
                "calendarId": calendar,
                "locationId": conn.account_id,
                "contactId": parent,
                "startTime": "2031-01-02T10:00:00Z",
                "endTime": "2031-01-02T10:30:00Z",
            }
            return call("create-appointment", body=body)["id"]

        return make

    @pytest.fixture
    def child_events(self, a_parent):
        def event(name):
            if name == "appointment":  # GHL nests the record (AppointmentCreate.json)
                return {
                    "type": "AppointmentCreate",
                    "locationId": "loc",
                    "appointment": {"id": "ev1", "contactId": a_parent, "title": "Visit"},
                }
            kind = {"task": "TaskCreate", "note": "NoteCreate"}[name]
            return {"type": kind, "locationId": "loc", "id": "r1", "contactId": a_parent}

        return event
