"""The calendars catalog is generated from calendars.json: every operation exists in the
spec with the same method, path, scope and Version, and carries the seed catalog's name."""

from __future__ import annotations

import csv
import json

from integrations.connectors.ghl import build_catalog
from integrations.connectors.ghl.connector import load_catalog

from .test_catalog import REFERENCE, SPEC_DIR, _need

COMMITTED = build_catalog.CATALOG_DIR / "calendars.json"


def _spec() -> dict:
    _need(SPEC_DIR / "calendars.json")
    return json.loads((SPEC_DIR / "calendars.json").read_text())


def test_calendars_catalog_is_rebuilt_identically_from_the_spec():
    rebuilt = build_catalog.build_area(_spec(), build_catalog.AREAS["calendars"])
    assert rebuilt == json.loads(COMMITTED.read_text())


def test_every_calendar_operation_exists_in_the_spec():
    spec = _spec()
    by_id = {
        op["operationId"]: (method.upper(), path, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    }
    committed = json.loads(COMMITTED.read_text())
    assert {op["id"] for op in committed} == {
        "get-calendars",
        "get-calendar-events",
        "get-appointment",
        "create-appointment",
        "edit-appointment",
        "delete-event",
    }
    for op in committed:
        assert op["spec_operation_id"] in by_id, op["id"]
        method, path, spec_op = by_id[op["spec_operation_id"]]
        assert (op["method"], op["path"]) == (method, path), op["id"]
        scopes = [s for entry in spec_op["security"] for v in entry.values() for s in v]
        assert op["scope"] == scopes[0], op["id"]
        assert op["version"] == "2021-04-15", op["id"]
        spec_params = {p["name"] for p in spec_op["parameters"] if p["in"] in ("path", "query")}
        assert {p["name"] for p in op["params"]} == spec_params, op["id"]
    create = next(op for op in committed if op["id"] == "create-appointment")
    assert create["body_required"] == ["calendarId", "locationId", "contactId", "startTime"]


def test_calendar_operations_carry_the_seed_names():
    _need(REFERENCE / "seed-catalog.tsv")
    with (REFERENCE / "seed-catalog.tsv").open() as handle:
        rows = {
            r["name"]: r["kind"].lower()
            for r in csv.DictReader(handle, delimiter="\t")
            if r["category"] == "Calendars & Appointments"
        }
    ops = [op for op in load_catalog() if op.category == "Calendars & Appointments"]
    assert len(ops) == 6
    for op in ops:
        assert rows.get(op.name) == op.role, op.name
    ids = [op.id for op in load_catalog()]
    assert len(ids) == len(set(ids))
