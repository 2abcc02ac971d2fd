"""CSV both ways for PT Distinction (contacts only), through the generic integrations/csvio:
a client list becomes HighLevel contacts over real HTTP to the GHL sandbox, with a result
per row; HighLevel contacts export with Add Client's field names."""

from __future__ import annotations

import csv
import io

import pytest

from integrations.connectors.ptdistinction.connector import PTDistinctionConnector
from integrations.csvio import columns, exports, imports
from integrations.csvio.parse import CSVError, parse_csv
from integrations.models import Connection, ImportBatch, ImportRow
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = "contacts.readonly contacts.write locations.readonly"
CLIENTS = (
    "Email,First Name,Last Name,Mobile,Gender,Group\n"
    "ada.csv@example.com,Ada,Lovelace,+1 415 555 0101,Female,Beginners\n"
    "alan.csv@example.com,Alan,Turing,,Male,\n"
    ",No,Email,,,\n"
)


@pytest.fixture
def sides(ghl_sandbox, workspace):
    ghl = pit_connection(workspace, scopes=SCOPES)
    ptd = Connection(workspace=workspace, kind="ptdistinction", label="PT Distinction")
    ptd.connector.connect_with("shared_secret", {})
    ptd.save()
    return ghl, ptd


def test_it_declares_contacts_only():
    (obj,) = PTDistinctionConnector.csv_objects.values()
    assert obj.target == "contact" and "contacts only" in obj.label.lower()
    assert obj.id_column == "email"


def test_a_client_list_imports_as_contacts_with_a_result_per_row(sides):
    ghl, ptd = sides
    batch = imports.create_batch(
        ptd.workspace, None, ptd, ghl, "client", "clients.csv", CLIENTS.encode()
    )
    cols = imports.batch_columns(batch)
    choices = columns.suggest(cols, imports.csv_object(ptd, "client"))
    assert [c.target for c in choices] == [
        "email",
        "firstName",
        "lastName",
        "phone",
        "note",
        "note",
    ]
    imports.start(batch, choices)  # eager tasks: the chunk runs now

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    rows = list(batch.rows.order_by("line"))
    assert [r.status for r in rows] == [
        ImportRow.Status.CREATED,
        ImportRow.Status.CREATED,
        ImportRow.Status.FAILED,
    ]
    assert "no email or phone" in rows[2].message
    found = ghl.connector.call(
        "get-duplicate-contact", locationId=ghl.account_id, email="ada.csv@example.com"
    )["contact"]
    assert found["id"] == rows[0].target_id and found["phone"] == "+14155550101"
    notes = ghl.connector.call("get-all-notes", contactId=found["id"])["notes"]
    assert any("Gender: Female" in n["body"] and "Group: Beginners" in n["body"] for n in notes)
    report = list(csv.reader(io.StringIO(imports.report_csv(batch))))
    assert report[0][:4] == ["line", "result", "message", "highlevel_id"]
    assert len(report) == 4


def test_a_malformed_file_is_a_clear_error():
    with pytest.raises(CSVError):
        parse_csv(b"\x00\x01\x02binary")


def test_contacts_export_with_add_client_field_names(sides):
    ghl, ptd = sides
    obj = imports.csv_object(ptd, "client")
    batch = exports.start(ptd.workspace, None, ptd, ghl, "client", list(obj.export_columns))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.error
    rows = list(csv.reader(io.StringIO(batch.output)))
    assert rows[0] == ["Email", "First Name", "Last Name", "Phone"]
    assert len(rows) > 1 and all(len(r) == 4 for r in rows)
