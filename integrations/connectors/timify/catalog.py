"""TIMIFY's operations as data: only the paths FACTS §3 confirms (docs.timify.dev, docs2's
"Developer API GraphQL Proxy 0.0.4" OpenAPI). Names with a dot are ours; paths are TIMIFY's.

`customer.find` reads the customer list and compares emails here: the facts name no email
filter. `appointment.delete` deletes one appointment through the bulk endpoint.
"""

from __future__ import annotations

from integrations.connectors.base import Catalog, Operation, Param

PAGE = (
    Param("page", "query", type="integer", description="1-based page"),
    Param("limit", "query", type="integer", description="page size (10000 when omitted)"),
)


def _op(op_id: str, name: str, category: str, role: str, method: str, path: str, **kw) -> Operation:
    return Operation(op_id, name, category, role, method, path, version="v1", **kw)


OPERATIONS = (
    _op(
        "customer.list",
        "List customers",
        "Customers",
        "trigger",
        "GET",
        "/v1/customers",
        scope="Customers",
        params=PAGE,
        envelope="data",
        pagination="page",
    ),
    _op(
        "customer.find",
        "Find customers by email",
        "Customers",
        "trigger",
        "GET",
        "/v1/customers",
        scope="Customers",
        params=(Param("email", "query", required=True),),
        envelope="data",
        description="Lists customers and keeps those with this email (no email filter is "
        "documented).",
    ),
    _op(
        "customer.create",
        "Create a customer",
        "Customers",
        "action",
        "POST",
        "/v1/customers",
        scope="Customers",
        envelope="data",
        description="Values go in customfields; firstName, lastName, email, phone and notes "
        "are written to TIMIFY's default fields.",
    ),
    _op(
        "customer.update",
        "Update a customer",
        "Customers",
        "action",
        "PATCH",
        "/v1/customers/{id}",
        scope="Customers",
        params=(Param("id", "path", required=True),),
        envelope="data",
    ),
    _op(
        "customer.update_by_external_id",
        "Update a customer by your external id",
        "Customers",
        "action",
        "PATCH",
        "/v1/customers/{externalId}",
        scope="Customers",
        params=(Param("externalId", "path", required=True),),
        envelope="data",
        description="PATCH /v1/customers/{externalId}?external=1",
    ),
    _op(
        "customfield.list",
        "List customer fields",
        "Customers",
        "trigger",
        "GET",
        "/v1/customers/customfields",
        scope="Customers",
        params=PAGE,
        envelope="data",
        pagination="page",
    ),
    _op(
        "appointment.list",
        "List appointments (at most 365 days per request)",
        "Appointments",
        "trigger",
        "GET",
        "/v1/appointments",
        scope="Events",
        params=(
            Param("from_date", "query", description="YYYY-MM-DD"),
            Param("to_date", "query", description="YYYY-MM-DD, at most 365 days later"),
            Param("ids", "query", description="comma-separated ids, instead of dates"),
            *PAGE,
        ),
        envelope="data",
        pagination="page",
    ),
    _op(
        "appointment.create",
        "Book an appointment",
        "Appointments",
        "action",
        "POST",
        "/v1/appointments",
        scope="Events",
        envelope="data",
        description="Start as YYYY-MM-DD HH:mm on a 5-minute step; a title unless a service "
        "and duration are given; service_id or external_service_id; resource_ids or "
        "external_resource_ids.",
    ),
    _op(
        "appointment.delete",
        "Delete an appointment",
        "Appointments",
        "action",
        "POST",
        "/v1/appointments/delete/bulk",
        scope="Events",
        params=(Param("id", "body", required=True),),
        description="POST /v1/appointments/delete/bulk with this one id.",
    ),
    _op(
        "appointment.delete_bulk",
        "Delete appointments in bulk",
        "Appointments",
        "action",
        "POST",
        "/v1/appointments/delete/bulk",
        scope="Events",
        body_required=("ids",),
        envelope="data",
    ),
)

CATALOG = Catalog({op.id: op for op in OPERATIONS})
