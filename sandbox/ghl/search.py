"""POST /contacts/search — the advanced search (body per the help-center contract, FACTS §5).

Body: {locationId, page, pageLimit (<=500), searchAfter[], filters[], sort[], query}.
Filters: {field, operator, value} or {group: "AND"|"OR", filters: [...]}; operators eq,
not_eq, contains, not_contains, exists, not_exists, range. Each contact in the answer
carries searchAfter [sortValue, id] (sort values that are dates are epoch ms).
"""

from __future__ import annotations

from django.db.models import Q

from sandbox.models import SandboxContact

from . import errors, services
from .api import READ, endpoint, json_body, ok
from .contacts import require_location, text_query
from .errors import GHLError

FIELDS = {
    "id": "id",
    "firstName": "first_name",
    "lastName": "last_name",
    "name": "name",
    "fullNameLowerCase": "name",
    "firstNameLowerCase": "first_name",
    "lastNameLowerCase": "last_name",
    "email": "email",
    "phone": "phone",
    "companyName": "company_name",
    "address1": "address1",
    "address": "address1",
    "city": "city",
    "state": "state",
    "country": "country",
    "postalCode": "postal_code",
    "website": "website",
    "timezone": "timezone",
    "source": "source",
    "type": "type",
    "assignedTo": "assigned_to",
    "businessId": "business_id",
    "dateOfBirth": "date_of_birth",
    "dnd": "dnd",
    "dateAdded": "date_added",
    "dateUpdated": "date_updated",
    "tags": "tags_text",
}
DATE_FIELDS = {"date_added", "date_updated"}
SORTABLE = {"dateAdded", "dateUpdated", "firstName", "lastName", "email", "companyName", "id"}
OPERATORS = {"eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range"}
MAX_PAGE_LIMIT = 500
MAX_WINDOW = 10_000


def _invalid(message: str):
    raise GHLError(errors.unprocessable([message]))


def _value(column: str, raw):
    if column in DATE_FIELDS:
        when = services.parse_when(raw)
        if when is None:
            _invalid(f"Invalid date value for filter: {raw!r}")
        return when
    if column == "dnd":
        return raw in (True, "true", "True", 1)
    return raw


def _leaf(item: dict) -> Q:
    field, op = item.get("field"), item.get("operator")
    if field not in FIELDS and not (isinstance(field, str) and field.startswith("customFields.")):
        _invalid(f"Invalid filter field: {field}")
    if op not in OPERATORS:
        _invalid(f"Invalid operator: {op}")
    if isinstance(field, str) and field.startswith("customFields."):
        return _custom_field(field.split(".", 1)[1], op, item.get("value"))
    column = FIELDS[field]
    raw = item.get("value")
    if op in ("exists", "not_exists"):
        if column in DATE_FIELDS or column == "dnd":
            present = ~Q(**{f"{column}__isnull": True})
        else:
            present = ~Q(**{column: ""}) & ~Q(**{f"{column}__isnull": True})
        return present if op == "exists" else ~present
    if op == "range":
        if not isinstance(raw, dict) or not set(raw) & {"gt", "gte", "lt", "lte"}:
            _invalid("range filter value must be an object with gt/gte/lt/lte")
        q = Q()
        for bound in ("gt", "gte", "lt", "lte"):
            if bound in raw:
                q &= Q(**{f"{column}__{bound}": _value(column, raw[bound])})
        return q
    values = raw if isinstance(raw, list) else [raw]
    if column == "tags_text":
        parts = [
            Q(tags_text__icontains=f",{str(v).strip().lower()},")
            if op in ("eq", "not_eq")
            else Q(tags_text__icontains=str(v).strip().lower())
            for v in values
        ]
    elif op in ("eq", "not_eq"):
        if column in DATE_FIELDS or column == "dnd":
            parts = [Q(**{column: _value(column, v)}) for v in values]
        else:
            parts = [Q(**{f"{column}__iexact": str(v)}) for v in values]
    else:
        parts = [Q(**{f"{column}__icontains": str(v)}) for v in values]
    q = Q()
    for part in parts:
        q |= part
    return ~q if op in ("not_eq", "not_contains") else q


def _custom_field(field_id: str, op: str, raw) -> Q:
    # Custom field values live in a JSON dict; filtering them in SQL portably is not worth
    # it here, so resolve matching ids in Python (fine for sandbox-sized data).
    ids = []
    needle = str(raw).lower()
    for cid, values in SandboxContact.objects.values_list("id", "custom_fields"):
        value = (values or {}).get(field_id)
        text = "" if value is None else str(value).lower()
        present = value not in (None, "")
        matched = {
            "exists": present,
            "not_exists": not present,
            "eq": text == needle,
            "not_eq": text != needle,
            "contains": needle in text,
            "not_contains": needle not in text,
        }.get(op, False)
        if matched:
            ids.append(cid)
    return Q(id__in=ids)


def build_filter(filters, group: str = "AND") -> Q:
    if not isinstance(filters, list):
        _invalid("filters must be an array")
    q = Q()
    for item in filters:
        if not isinstance(item, dict):
            _invalid("each filter must be an object")
        if "group" in item:
            sub_group = str(item["group"]).upper()
            if sub_group not in ("AND", "OR"):
                _invalid("group must be one of the following values: AND, OR")
            part = build_filter(item.get("filters") or [], sub_group)
        else:
            part = _leaf(item)
        q = (q | part) if group == "OR" and q else (q & part)
    return q


def _sort_value(contact: SandboxContact, column: str):
    value = getattr(contact, column)
    return services.ms(value) if column in DATE_FIELDS else value


def search(request, principal):
    body = json_body(request)
    location = require_location(principal, body.get("locationId"))
    try:
        page = int(body.get("page") or 1)
        page_limit = int(body.get("pageLimit") or 20)
    except (TypeError, ValueError):
        raise GHLError(errors.unprocessable(["page and pageLimit must be numbers"])) from None
    if page_limit > MAX_PAGE_LIMIT:
        _invalid(f"pageLimit must not be greater than {MAX_PAGE_LIMIT}")
    if page < 1 or page_limit < 1:
        _invalid("page and pageLimit must not be less than 1")
    qs = SandboxContact.objects.filter(location=location)
    if body.get("filters"):
        qs = qs.filter(build_filter(body["filters"]))
    if isinstance(body.get("query"), str) and body["query"].strip():
        qs = qs.filter(text_query(body["query"].strip()))
    total = qs.count()

    sort = body.get("sort") or [{"field": "dateAdded", "direction": "desc"}]
    if not isinstance(sort, list) or not sort or not isinstance(sort[0], dict):
        _invalid("sort must be an array")
    field = sort[0].get("field")
    if field not in SORTABLE:
        _invalid(f"Invalid sort field: {field}")
    direction = str(sort[0].get("direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        _invalid("direction must be one of the following values: asc, desc")
    column = FIELDS[field]
    desc = direction == "desc"
    order = [f"-{column}", "-id"] if desc else [column, "id"]

    search_after = body.get("searchAfter")
    if search_after:
        if not isinstance(search_after, list) or len(search_after) != 2:
            _invalid("searchAfter must be an array of [sortValue, id]")
        anchor = _value(column, search_after[0]) if column in DATE_FIELDS else search_after[0]
        anchor_id = str(search_after[1])
        if column == "id":
            cursor = Q(id__lt=anchor_id) if desc else Q(id__gt=anchor_id)
        else:
            cmp, id_cmp = ("lt", "lt") if desc else ("gt", "gt")
            cursor = Q(**{f"{column}__{cmp}": anchor}) | Q(
                **{column: anchor, f"id__{id_cmp}": anchor_id}
            )
        rows = list(qs.filter(cursor).order_by(*order)[:page_limit])
    else:
        if page * page_limit > MAX_WINDOW:
            raise GHLError(
                errors.bad_request(
                    "Page-based pagination is limited to 10000 records; use searchAfter"
                )
            )
        start = (page - 1) * page_limit
        rows = list(qs.order_by(*order)[start : start + page_limit])

    contacts = []
    for contact in rows:
        item = services.contact_to_dict(contact)
        item["searchAfter"] = [_sort_value(contact, column), contact.id]
        contacts.append(item)
    return ok({"contacts": contacts, "total": total})


contacts_search = endpoint({"POST": (READ, search)})
