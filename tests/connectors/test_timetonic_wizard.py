"""The TimeTonic wizard templates follow the chosen tables, and the demo seeds a TimeTonic
connection, "GHL ↔ TimeTonic (demo)" and the simulator's automations; demo_info prints
the credentials and the book and table codes."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from integrations.models import Connection, Integration
from integrations.wizard import timetonic, timetonic_demo
from integrations.wizard.templates import TEMPLATES, for_pair
from sandbox.timetonic.models import TTAutomation

from .timetonic_fixtures import tt_base, tt_conn, tt_control  # noqa: F401


def test_templates_are_registered_for_the_pair():
    ids = {t.id for t in for_pair("ghl", "timetonic")}
    assert ids == set(timetonic.TEMPLATES)
    assert all(TEMPLATES[i] is timetonic.TEMPLATES[i] for i in ids)


def test_mappings_use_the_chosen_tables_field_names(tt_conn):  # noqa: F811
    ghl = Connection(kind="ghl", workspace=tt_conn.workspace)
    flows = {f["name"]: f for f in timetonic.contacts_both_ways(ghl, tt_conn)}
    push = flows[f"HighLevel contacts → {tt_conn}"]["steps"][0]
    assert {r["target"] for r in push["mapping"]} == {
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Company",
    }
    assert push["params"]["_find"]["by"] == {"email": "Email"}
    upsert = flows[f"{tt_conn} contacts → HighLevel (upsert by email)"]["steps"][0]
    email = next(r for r in upsert["mapping"] if r["target"] == "email")
    assert email["source"] == "trigger.Email" and email["required"]
    tasks = {f["name"]: f for f in timetonic.tasks_both_ways(ghl, tt_conn)}
    to_ghl = tasks[f"{tt_conn} tasks → HighLevel"]["steps"][0]
    assert to_ghl["params"]["contactId"] == {"source": "trigger.Contact", "ref": "contact"}
    targets = {r["target"]: r for r in to_ghl["mapping"]}
    assert targets["dueDate"]["source"] == "trigger.Due date"
    assert targets["completed"]["source"] == "trigger.Done"
    back = tasks[f"HighLevel tasks → {tt_conn}"]["steps"][0]["mapping"]
    assert {r["target"] for r in back} >= {"Title", "Due date", "Done", "Status", "Contact"}
    assert TEMPLATES["tt_appointments"].unavailable(ghl, tt_conn) == ""


def test_a_template_says_what_the_table_lacks(tt_conn, tt_base):  # noqa: F811
    ghl = Connection(kind="ghl", workspace=tt_conn.workspace)
    config = dict(tt_conn.config)
    config["tables"] = {k: v for k, v in config["tables"].items() if k != "note"}
    tt_conn.config = config
    assert "no table chosen for notes" in TEMPLATES["tt_notes_two_way"].unavailable(ghl, tt_conn)


def test_the_demo_seeds_timetonic_and_demo_info_prints_it(settings, db):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    integration = Integration.objects.get(name=timetonic_demo.NAME)
    kinds = {(f.object_type, f.source.kind) for f in integration.flows.all()}
    assert kinds >= {
        ("contact", "ghl"),
        ("contact", "timetonic"),
        ("task", "ghl"),
        ("task", "timetonic"),
        ("note", "ghl"),
        ("note", "timetonic"),
        ("appointment", "ghl"),
    }
    conn = Connection.objects.get(kind="timetonic", label=timetonic_demo.LABEL)
    assert conn.config["tables"]["task"]["link"] == "Contact"
    hooks = TTAutomation.objects.all()
    assert {a.event_prefix for a in hooks} == {"contact", "task", "note"}
    assert all(a.url.endswith(conn.connector.inbound_path) for a in hooks)
    ids = dict(integration.flows.values_list("name", "pk"))
    call_command("seed_demo", verbosity=0)
    assert dict(integration.flows.values_list("name", "pk")) == ids
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    info = json.loads(out.getvalue())["sandboxes"]["timetonic"]
    assert info["o_u"] == "syncdeck_demo" and info["sesskey"] and info["appkey"]
    assert info["b_c"] == "syncdeck-crm" and set(info["tables"]) >= {"Contacts", "Tasks"}
    assert info["inbound_url"].endswith(conn.connector.inbound_path)
