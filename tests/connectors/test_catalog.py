"""The committed GHL catalog is generated from the official OpenAPI spec and covers the
seed catalog's Contacts rows."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from integrations.connectors.ghl import build_catalog
from integrations.connectors.ghl.connector import load_catalog

IN_CI = os.environ.get("CI", "").lower() == "true"
REFERENCE = Path(settings.BASE_DIR).parent / "shared/reference/ghl"
SPEC_DIR = REFERENCE / "openapi"
COMMITTED = build_catalog.CATALOG_DIR / "contacts.json"


def _need(path: Path) -> None:
    if path.exists():
        return
    if IN_CI:
        pytest.fail(f"{path} is required under CI=true")
    pytest.skip(f"{path} is not here")


def test_committed_catalog_is_rebuilt_identically_from_the_spec():
    _need(SPEC_DIR / "contacts.json")
    spec = json.loads((SPEC_DIR / "contacts.json").read_text())
    rebuilt = build_catalog.build_area(spec, build_catalog.AREAS["contacts"])
    assert rebuilt == json.loads(COMMITTED.read_text())


def test_locations_catalog_is_rebuilt_identically_from_the_spec():
    _need(SPEC_DIR / "locations.json")
    spec = json.loads((SPEC_DIR / "locations.json").read_text())
    rebuilt = build_catalog.build_area(spec, build_catalog.AREAS["locations"])
    committed = json.loads((build_catalog.CATALOG_DIR / "locations.json").read_text())
    assert rebuilt == committed
    assert {op["id"] for op in committed} == {"get-location", "get-custom-fields"}


def test_every_spec_operation_is_in_the_catalog():
    _need(SPEC_DIR / "contacts.json")
    spec = json.loads((SPEC_DIR / "contacts.json").read_text())
    spec_ids = {op["operationId"] for methods in spec["paths"].values() for op in methods.values()}
    committed = json.loads(COMMITTED.read_text())
    assert len(spec_ids) == 32
    assert {op["spec_operation_id"] for op in committed} == spec_ids


def test_every_operation_is_complete():
    catalog = [op for op in load_catalog() if op.category == "Contacts"]
    spec_ops = {op.id for op in catalog if op.id != "find-contact"}
    assert len(spec_ops) == 32
    for op in catalog:
        assert op.method in {"GET", "POST", "PUT", "DELETE"}, op.id
        assert op.path.startswith("/contacts"), op.id
        assert op.version == "2021-07-28", op.id
        assert op.scope in {"contacts.readonly", "contacts.write"}, op.id
        assert op.role in {"trigger", "action"}, op.id
        assert op.category == "Contacts", op.id
        if op.method == "GET":
            assert op.scope == "contacts.readonly", op.id
        elif op.id != "search-contacts-advanced":
            assert op.scope == "contacts.write", op.id
    ids = [op.id for op in load_catalog()]
    assert len(ids) == len(set(ids))


def test_seed_catalog_contacts_rows_are_all_present():
    _need(REFERENCE / "seed-catalog.tsv")
    with (REFERENCE / "seed-catalog.tsv").open() as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["category"] == "Contacts"]
    assert rows
    by_name = {op.name: op for op in load_catalog()}
    for row in rows:
        assert row["name"] in by_name, row["name"]
        assert by_name[row["name"]].role == row["kind"].lower(), row["name"]
