"""The committed GHL catalog is generated from the official OpenAPI specs vendored in the
project (integrations/connectors/ghl/spec/) and maps every one of the 124 seed rows to its
spec operation. Nothing here needs files outside the repository."""

from __future__ import annotations

import json

import pytest

from integrations.connectors.ghl import build_catalog
from integrations.connectors.ghl.connector import load_catalog

SPEC_DIR = build_catalog.SPEC_DIR
GROUPS = [
    "Contacts",
    "Calendars & Appointments",
    "Opportunities",
    "Users",
    "Conversations & Messages",
    "Businesses",
    "Workflows & Campaigns",
    "Other Operations",
]


def _spec_ops(version: str, stem: str) -> dict[str, tuple[str, str, dict]]:
    spec = build_catalog.load_spec(version, stem)
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    }


def test_the_vendored_files_are_in_the_project():
    assert (SPEC_DIR / "README.md").exists()
    assert build_catalog.SEED_FILE.exists()
    for stem in build_catalog.spec_files():
        assert (SPEC_DIR / "v2" / f"{stem}.json").exists(), stem
        assert (SPEC_DIR / "v3" / f"{stem}.json").exists(), stem


def test_the_seed_catalog_is_124_rows_in_8_groups():
    rows = build_catalog.seed_rows()
    assert len(rows) == 124
    assert sorted({r["category"] for r in rows}) == sorted(GROUPS)
    assert sum(r["kind"] == "Trigger" for r in rows) == 55
    assert sum(r["kind"] == "Action" for r in rows) == 69


@pytest.mark.parametrize("stem", build_catalog.spec_files())
def test_committed_catalog_is_rebuilt_identically_from_the_spec(stem):
    committed = json.loads((build_catalog.CATALOG_DIR / f"{stem}.json").read_text())
    assert build_catalog.build_file(stem) == committed


def test_no_stale_catalog_file():
    files = {p.stem for p in build_catalog.CATALOG_DIR.glob("[a-z]*.json")}
    assert files == set(build_catalog.spec_files())
    unavailable = json.loads((build_catalog.CATALOG_DIR / "_unavailable.json").read_text())
    assert unavailable == build_catalog.unavailable()


def test_every_seed_row_is_mapped_to_an_operation_the_spec_has():
    by_name = {op.name: op for op in load_catalog() if op.seeded}
    unmapped = []
    for row in build_catalog.seed_rows():
        name = row["name"]
        if name in build_catalog.MISSING:
            assert name not in by_name, f"{name} is listed as missing but is in the catalog"
            assert build_catalog.MISSING[name].strip(), name
            continue
        if name not in build_catalog.SEEDS or name not in by_name:
            unmapped.append(name)
            continue
        op = by_name[name]
        assert op.category == row["category"], name
        assert op.role == row["kind"].lower(), name
        stem, _, op_id = build_catalog.SEEDS[name].partition(":")
        spec_ops = _spec_ops("v2", stem)
        spec_id = build_catalog.DERIVED.get(op_id, {}).get("from", op_id)
        assert spec_id in spec_ops, f"{name}: {stem}.json has no {spec_id}"
        method, path, spec_op = spec_ops[spec_id]
        assert (op.method, op.path) == (method, path), name
        if not op.note:
            versions = [
                p["schema"].get("enum", [p["schema"].get("default")])
                for p in spec_op.get("parameters", [])
                if p.get("name") == "Version"
            ]
            assert versions and op.version in versions[0], name
        if not op.note:
            scopes = [s for e in spec_op.get("security") or [] for v in e.values() for s in v]
            assert op.scope == scopes[0], name
        declared = {p["name"] for p in spec_op.get("parameters", []) if p["in"] != "header"}
        assert declared <= {p.name for p in op.params}, name
    assert unmapped == []
    assert len(by_name) + len(build_catalog.MISSING) == 124


def test_a_seed_row_mapped_to_a_path_the_spec_lacks_fails(monkeypatch):
    monkeypatch.setitem(build_catalog.SEEDS, "Get Opportunity", "opportunities:no-such-op")
    built = build_catalog.build_file("opportunities")
    assert "Get Opportunity" not in {op["name"] for op in built if op["seeded"]}


def test_every_operation_is_complete():
    catalog = list(load_catalog())
    assert len(catalog) == 124
    ids = [op.id for op in catalog]
    assert len(ids) == len(set(ids))
    names = [op.name for op in catalog]
    assert len(names) == len(set(names))
    for op in catalog:
        assert op.method in {"GET", "POST", "PUT", "DELETE"}, op.id
        assert op.version in {"2021-07-28", "2021-04-15"}, op.id
        assert op.scope, op.id
        assert op.role in {"trigger", "action"}, op.id
        assert op.category in GROUPS, op.id
        assert "v2" in op.versions, op.id
        for param in op.params:
            assert param.location in {"path", "query"}, (op.id, param.name)
            assert param.location != "path" or param.required, (op.id, param.name)
        assert set(op.body_required) <= {f.name for f in op.body_fields} | {"locationId"}, op.id


def test_contacts_ids_are_stable():
    """Flows and wizard templates use these ids."""
    for op_id in (
        "get-contact",
        "search-contacts-advanced",
        "create-contact",
        "update-contact",
        "upsert-contact",
        "get-all-tasks",
        "create-task",
        "update-task",
        "get-all-notes",
        "create-note",
        "update-note",
        "get-appointment",
        "create-appointment",
        "edit-appointment",
        "get-calendars",
        "get-calendar-events",
        "get-location",
        "get-custom-fields",
        "find-contact",
        "bulk-update-contact-tags",
    ):
        assert op_id in load_catalog().operations, op_id


def test_versions_record_v3_where_the_v3_spec_has_the_operation():
    catalog = load_catalog()
    assert catalog["get-contacts"].versions == ("v2",)  # deprecated list: not in v3
    remove_all = catalog["remove-contact-from-every-campaign"]
    assert remove_all.versions == ("v2", "v3")
    assert remove_all.v3_path == "/contacts/{contactId}/campaigns/remove-all"
    for stem, entries in build_catalog.build_all().items():
        v3 = build_catalog.load_spec("v3", stem)
        for op in entries:
            methods = v3["paths"].get(op["v3_path"] or op["path"], {})
            assert (op["method"].lower() in methods) == ("v3" in op["versions"]), op["id"]


def test_enums_become_choices_and_required_body_fields_are_marked():
    catalog = load_catalog()
    status = catalog["update-opportunity-status"]
    field = next(f for f in status.body_fields if f.name == "status")
    assert field.required and {"open", "won", "lost"} <= set(field.choices)
    create = catalog["create-appointment"]
    assert create.body_required == ("calendarId", "locationId", "contactId", "startTime")
    bulk = catalog["bulk-update-contact-tags"]
    assert next(p for p in bulk.params if p.name == "type").choices == ("add", "remove")


def test_agency_only_operations_say_so():
    catalog = load_catalog()
    for op_id in ("get-company", "create-location", "get-custom-snapshots"):
        assert catalog[op_id].token == "agency", op_id
    assert catalog["get-contact"].token == "location"


def test_a_seed_row_the_spec_lacks_is_listed_with_its_reason(monkeypatch):
    """No seed row lacks its operation today; one that did is listed, never invented."""
    assert build_catalog.unavailable() == []
    monkeypatch.delitem(build_catalog.SEEDS, "Get Company")
    monkeypatch.setitem(build_catalog.MISSING, "Get Company", "not in companies.json")
    assert build_catalog.unavailable() == [
        {"name": "Get Company", "category": "Other Operations", "reason": "not in companies.json"}
    ]
    assert build_catalog.build_file("companies") == []
