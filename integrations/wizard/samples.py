"""A real sample record from the trigger's app, for the mapping preview and the dry run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.connectors.base import ConnectorError
from integrations.models import Connection


@dataclass
class Sample:
    record: dict[str, Any] | None
    note: str


def fetch(connection: Connection, object_type: str) -> Sample:
    try:
        record, note = connection.connector.sample(object_type)
        return Sample(record, note)
    except NotImplementedError:
        return Sample(None, f"Syncdeck cannot read sample records of {connection} yet.")
    except ConnectorError as exc:
        return Sample(None, f"Could not read a sample from {connection}: {exc.message}")
