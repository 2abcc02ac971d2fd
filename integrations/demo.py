"""The demo integration, "GHL contacts → Your App (demo)", as data.

`seed_demo` builds it against the sandbox so `make run` shows runs as soon as a contact is
edited on the sandbox page; tests and benchmarks build the same integration against
their own servers.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction

from integrations.connectors.rest.catalog import DEFAULT_OBJECTS
from integrations.models import (
    Connection,
    Environment,
    Flow,
    Integration,
    Step,
    TriggerKind,
    Workspace,
)

DEMO_NAME = "GHL contacts → Your App (demo)"
YOURAPP_API_KEY = "yourapp-demo-key"
YOURAPP_WEBHOOK_SECRET = "whsec_yourapp_demo_secret"

GHL_TO_YOURAPP: list[dict[str, Any]] = [
    {"target": "first_name", "source": "trigger.firstName", "transforms": [{"name": "trim"}]},
    {"target": "last_name", "source": "trigger.lastName", "transforms": [{"name": "trim"}]},
    {
        "target": "email",
        "source": "trigger.email",
        "transforms": [{"name": "trim"}, {"name": "lower"}],
    },
    {"target": "phone", "source": "trigger.phone", "transforms": [{"name": "e164"}]},
    {"target": "company", "source": "trigger.companyName"},
    {"target": "tags", "source": "trigger.tags"},
]
YOURAPP_TO_GHL: list[dict[str, Any]] = [
    {"target": "firstName", "source": "trigger.first_name"},
    {"target": "lastName", "source": "trigger.last_name"},
    {"target": "email", "source": "trigger.email", "transforms": [{"name": "lower"}]},
    {"target": "phone", "source": "trigger.phone"},
    {"target": "companyName", "source": "trigger.company"},
    {"target": "tags", "source": "trigger.tags"},
]
CONTACT_EVENTS = ["ContactCreate", "ContactUpdate", "ContactTagUpdate"]


def yourapp_connection(
    workspace: Workspace, site_url: str, *, label: str = "Your App (demo)"
) -> Connection:
    base = site_url.rstrip("/") + "/sandbox/yourapp"
    connection = Connection.objects.filter(workspace=workspace, kind="rest", label=label).first()
    connection = connection or Connection(workspace=workspace, kind="rest", label=label)
    connection.environment = Environment.SANDBOX
    objects = copy.deepcopy(DEFAULT_OBJECTS)
    objects["contact"]["update"] = {"method": "PATCH", "path": "/contacts/{id}"}
    connection.connector.configure(
        base + "/api",
        "bearer",
        api_key=YOURAPP_API_KEY,
        webhook_url=base + "/hooks/syncdeck",
        webhook_secret=YOURAPP_WEBHOOK_SECRET,
        objects=objects,
        test={"method": "GET", "path": "/contacts", "query": {"per_page": "1"}},
    )
    connection.account_id = "yourapp-demo"
    connection.account_name = "Your App (demo)"
    connection.save()
    return connection


def sync_step(flow: Flow, target: Connection, key: str = "push") -> Step:
    """GHL contact → Your App contact: update the linked one, else find by email, else create."""
    step, _ = Step.objects.update_or_create(
        flow=flow,
        key=key,
        defaults={
            "position": 1,
            "connection": target,
            "operation": "contact.create",
            "update_operation": "contact.update",
            "record_mode": Step.RecordMode.SYNC,
            "source_id_path": "trigger.id",
            "result_id_path": "id",
            "target_id_param": "id",
            "mapping": GHL_TO_YOURAPP,
            "params": {
                "_find": {
                    "operation": "contact.find",
                    "by": {"email": "email"},
                    "result_id_path": "data.0.id",
                }
            },
        },
    )
    return step


@transaction.atomic
def build_ghl_to_yourapp(
    workspace: Workspace,
    ghl: Connection,
    yourapp: Connection,
    *,
    name: str = DEMO_NAME,
    with_polling: bool = True,
) -> Integration:
    integration, _ = Integration.objects.get_or_create(workspace=workspace, name=name)
    contacts, _ = Flow.objects.update_or_create(
        integration=integration,
        name="New or updated HighLevel contact → Your App",
        defaults={
            "source": ghl,
            "trigger_kind": TriggerKind.WEBHOOK,
            "trigger_config": {"events": CONTACT_EVENTS},
            "object_type": "contact",
        },
    )
    sync_step(contacts, yourapp)
    deletes, _ = Flow.objects.update_or_create(
        integration=integration,
        name="Deleted HighLevel contact → Your App",
        defaults={
            "source": ghl,
            "trigger_kind": TriggerKind.WEBHOOK,
            "trigger_config": {"events": ["ContactDelete"]},
            "object_type": "contact",
        },
    )
    Step.objects.update_or_create(
        flow=deletes,
        key="delete",
        defaults={
            "position": 1,
            "connection": yourapp,
            "operation": "contact.delete",
            "record_mode": Step.RecordMode.DELETE,
            "source_id_path": "trigger.id",
            "target_id_param": "id",
            "mapping": [],
        },
    )
    if with_polling:
        # GHL retries a webhook only on 429: a periodic poll by dateUpdated catches the rest.
        poll, _ = Flow.objects.update_or_create(
            integration=integration,
            name="Catch missed HighLevel changes (poll every 15 min)",
            defaults={
                "source": ghl,
                "trigger_kind": TriggerKind.POLL,
                "trigger_config": {"operation": "search-contacts-advanced", "interval_minutes": 15},
                "object_type": "contact",
            },
        )
        sync_step(poll, yourapp)
    return integration
