"""Wizard templates for HighLevel (side "a") ↔ PT Distinction through Zapier (side "b").

PT Distinction's deliveries (our Zapier contract, `connectors/ptdistinction/zapier.py`)
carry a client known by email: a client added becomes a HighLevel contact (upsert by
email); one added to a group or signed up to a package becomes the same upsert plus a tag
("ptd group: …", "ptd package: …"), added, never replacing the contact's other tags. A
HighLevel contact created or tagged with "pt-distinction" is sent to PT Distinction's "Add
Client" through the operator's Catch Hook, once: Add Client does nothing for an email PT
Distinction has, so a contact already sent is not sent again (no Zapier task spent).
"""

from __future__ import annotations

import copy
from typing import Any

from integrations.connectors.ptdistinction import zapier
from integrations.connectors.ptdistinction.connector import ADD_CLIENT
from integrations.models import Connection
from integrations.wizard.templates import Template

# PT Distinction delivery → HighLevel contact (upsert by email).
CLIENT_TO_GHL: list[dict[str, Any]] = [
    {"target": "email", "source": "trigger.email", "required": True},
    {"target": "firstName", "source": "trigger.first_name"},
    {"target": "lastName", "source": "trigger.last_name"},
    {"target": "phone", "source": "trigger.phone"},
    {"target": "timezone", "source": "trigger.time_zone"},
    {"target": "source", "const": "PT Distinction", "only_on": "create"},
]
# HighLevel contact → PT Distinction "Add Client" (through the Catch Hook).
GHL_TO_ADD_CLIENT: list[dict[str, Any]] = [
    {
        "target": "email",
        "source": "trigger.email",
        "required": True,
        "transforms": [{"name": "trim"}, {"name": "lower"}],
    },
    {"target": "first_name", "source": "trigger.firstName", "required": True},
    {"target": "last_name", "source": "trigger.lastName"},
    # HighLevel has no gender field: map a custom field here, or fix it in the Zap.
    {"target": "gender", "source": "trigger.gender", "default": ""},
    # "yes" makes PT Distinction email the client their login; change it here.
    {"target": "send_login_details", "const": "no"},
    {"target": "time_zone", "source": "trigger.timezone"},
]
CONTACT_EVENTS = ["ContactCreate", "ContactTagUpdate"]
# Only contacts carrying this tag become PT Distinction clients: adding a client can email
# them a login, so it is never done to every contact of the location by default.
ADD_CLIENT_TAG = "pt-distinction"


def upsert_step() -> dict[str, Any]:
    return {
        "key": "upsert",
        "operation": "upsert-contact",
        "update_operation": "update-contact",
        "record_mode": "sync",
        "source_id_path": "trigger.id",
        "result_id_path": "contact.id",
        "target_id_param": "contactId",
        "mapping": copy.deepcopy(CLIENT_TO_GHL),
        "params": {},
    }


def tag_step() -> dict[str, Any]:
    """Add the delivery's group or package tag to the linked contact (never a removal:
    PT Distinction's triggers only say what was joined)."""
    return {
        "key": "tag",
        "operation": "add-tags",
        "record_mode": "",
        "mapping": [{"target": "tags", "source": "trigger.tags", "required": True}],
        "params": {"contactId": {"source": "trigger.id", "ref": "contact"}},
    }


def _client_added(a: Connection, b: Connection) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Client added in {b} → HighLevel contact",
            "from": "b",
            "trigger_kind": "webhook",
            "trigger_config": {"events": [zapier.CLIENT_ADDED]},
            "object_type": "contact",
            "steps": [upsert_step()],
        }
    ]


def _group_or_package(a: Connection, b: Connection) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Client added to a group or package in {b} → HighLevel tag",
            "from": "b",
            "trigger_kind": "webhook",
            "trigger_config": {"events": [zapier.ADDED_TO_GROUP, zapier.PACKAGE_SIGNUP]},
            "object_type": "contact",
            "steps": [upsert_step(), tag_step()],
        }
    ]


def _add_client(a: Connection, b: Connection) -> list[dict[str, Any]]:
    return [
        {
            "name": f"HighLevel contact tagged {ADD_CLIENT_TAG} → {b} Add Client",
            "from": "a",
            "trigger_kind": "webhook",
            "trigger_config": {"events": list(CONTACT_EVENTS)},
            "object_type": "contact",
            "steps": [
                {
                    "key": "add_client",
                    "operation": ADD_CLIENT,
                    "update_operation": ADD_CLIENT,
                    "record_mode": "sync",
                    "source_id_path": "trigger.id",
                    "result_id_path": "id",
                    "target_id_param": "email",
                    "mapping": copy.deepcopy(GHL_TO_ADD_CLIENT),
                    "params": {"_when": {"source": "trigger.tags", "contains": ADD_CLIENT_TAG}},
                }
            ],
        }
    ]


def _needs_hook(a: Connection, b: Connection) -> str:
    if b.connector.hook_url:  # type: ignore[attr-defined]
        return ""
    return (
        f"{b} has no Zapier Catch Hook URL for Add Client: reconnect it with the hook URL of "
        "a Zap “Catch Hook → PT Distinction Add Client”."
    )


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in [
        Template(
            "ptd_client_to_ghl",
            "PT Distinction client added → HighLevel contact",
            "Your Zap “PT Distinction: Client Added → Webhooks by Zapier (POST)” posts the "
            "client (event, email, first_name, last_name, phone…) to this connection's "
            "inbound URL; each delivery is stored, then upserted into HighLevel by email.",
            "ghl",
            "ptdistinction",
            _client_added,
        ),
        Template(
            "ptd_group_package_to_ghl_tag",
            "PT Distinction group or package → HighLevel tag",
            "Zaps on “Client Added to Group” and “Pre-Made Package Sign Up” post the client "
            "with its group or package; the contact is upserted in HighLevel and tagged "
            "“ptd group: <name>” or “ptd package: <name>” (other tags are kept).",
            "ghl",
            "ptdistinction",
            _group_or_package,
        ),
        Template(
            "ghl_contact_to_ptd_add_client",
            "HighLevel contact → PT Distinction Add Client",
            f"A HighLevel contact created with, or given, the tag “{ADD_CLIENT_TAG}” is posted "
            "to your Zapier Catch Hook with "
            "the Add Client fields (email, first_name, last_name, gender, send_login_details "
            "“no” — set it to “yes” in the map step to email them their login — time_zone); "
            "the Zap adds the client in PT Distinction.",
            "ghl",
            "ptdistinction",
            _add_client,
            _needs_hook,
        ),
    ]
}
