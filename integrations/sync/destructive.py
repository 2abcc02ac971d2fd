"""Which steps of a flow delete records (such flows act on deletion events only)."""

from __future__ import annotations

from integrations.models import Flow, Step


def destructive_steps(flow: Flow) -> list[Step]:
    """Steps that delete: delete record steps, and actions whose operation is a DELETE."""
    found = []
    for step in flow.steps.select_related("connection"):
        if step.record_mode == Step.RecordMode.DELETE:
            found.append(step)
            continue
        try:
            operation = step.connection.connector.catalog.operations.get(step.operation)
        except Exception:  # an unreadable connection: judged by its record mode alone
            operation = None
        if operation is not None and operation.method.upper() == "DELETE":
            found.append(step)
    return found
