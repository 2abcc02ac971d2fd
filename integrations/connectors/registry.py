"""The explicit registry of connector kinds: kind → (label, dotted path), imported lazily.

Model field choices come from this dict; generic views and the engine look a connector up
here and never branch on kind.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from integrations.connectors.base import Connector

CONNECTORS: dict[str, tuple[str, str]] = {
    "ghl": ("HighLevel", "integrations.connectors.ghl.connector.GHLConnector"),
    "rest": ("Your App (REST / webhooks)", "integrations.connectors.rest.connector.RestConnector"),
    "timetonic": ("TimeTonic", "integrations.connectors.timetonic.connector.TimeTonicConnector"),
    "timify": ("TIMIFY", "integrations.connectors.timify.connector.TimifyConnector"),
    "ptdistinction": (
        "PT Distinction (via Zapier)",
        "integrations.connectors.ptdistinction.connector.PTDistinctionConnector",
    ),
    "timetopet": ("Time To Pet", "integrations.connectors.timetopet.connector.TimeToPetConnector"),
}


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, label) for kind, (label, _) in CONNECTORS.items()]


@cache
def connector_class(kind: str) -> type[Connector]:
    try:
        _, dotted = CONNECTORS[kind]
    except KeyError:
        raise LookupError(f"no connector of kind {kind!r}") from None
    module_name, _, class_name = dotted.rpartition(".")
    return getattr(import_module(module_name), class_name)


def all_connector_classes() -> list[type[Connector]]:
    return [connector_class(kind) for kind in CONNECTORS]
