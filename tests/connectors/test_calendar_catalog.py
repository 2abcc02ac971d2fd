"""The calendars catalog is generated from calendars.json: every operation exists in the
spec with the same method, path, scope and Version, and carries the seed catalog's name."""

from __future__ import annotations

import json
import re

from integrations.connectors.ghl import build_catalog
from integrations.connectors.ghl.connector import load_catalog

SPEC_DIR = build_catalog.SPEC_DIR / "v2"

COMMITTED = build_catalog.CATALOG_DIR / "calendars.json"


def _spec() -> dict:
    return json.loads((SPEC_DIR / "calendars.json").read_text())


def test_calendars_catalog_is_rebuilt_identically_from_the_spec():
    rebuilt = build_catalog.build_file("calendars")
    assert rebuilt == json.loads(COMMITTED.read_text())


def test_every_calendar_operation_exists_in_the_spec():
    spec = _spec()
    by_id = {
        op["operationId"]: (method.upper(), path, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    }
    committed = json.loads(COMMITTED.read_text())
    assert len(committed) == 34  # the seed's Calendars & Appointments rows
    assert {
        "get-calendars",
        "get-calendar-events",
        "get-appointment",
        "create-appointment",
        "edit-appointment",
        "delete-event",
    } <= {op["id"] for op in committed}
    for op in committed:
        assert op["spec_operation_id"] in by_id, op["id"]
        method, path, spec_op = by_id[op["spec_operation_id"]]
        assert (op["method"], op["path"]) == (method, path), op["id"]
        scopes = [s for entry in spec_op["security"] for v in entry.values() for s in v]
        assert op["scope"] == scopes[0], op["id"]
        assert op["version"] == "2021-04-15", op["id"]
        spec_params = {p["name"] for p in spec_op["parameters"] if p["in"] in ("path", "query")}
        # Plus the path placeholders the spec forgot to declare (e.g. {noteId}).
        placeholders = set(re.findall(r"\{(\w+)\}", op["path"]))
        assert {p["name"] for p in op["params"]} == spec_params | placeholders, op["id"]
    create = next(op for op in committed if op["id"] == "create-appointment")
    assert create["body_required"] == ["calendarId", "locationId", "contactId", "startTime"]


def test_calendar_operations_carry_the_seed_names():
    rows = {
        r["name"]: r["kind"].lower()
        for r in build_catalog.seed_rows()
        if r["category"] == "Calendars & Appointments"
    }
    ops = [op for op in load_catalog() if op.category == "Calendars & Appointments"]
    assert len(ops) == len(rows) == 34
    for op in ops:
        assert rows.get(op.name) == op.role, op.name
    ids = [op.id for op in load_catalog()]
    assert len(ids) == len(set(ids))
