"""Every other GHL operation, served from the official spec (sandbox/ghl/spec.py).

Requests to a path no hand-written view serves land here. The spec says whether the
operation exists (else GHL's JSON 404), which `Version` values it takes (v2's dated one,
and `v3` where the v3 spec has the operation), which token kind and scope it needs, what a
request must carry (422 with the messages, as GHL's validation pipe answers) and what the
answer looks like. Records live in SandboxRecord, one collection per resource
("opportunities", "calendars/groups", "conversations/messages"…), scoped to the location
(or, for agency operations, the company). Answers are built from the response schema:
required fields, then the record's stored fields where they fit the schema; unset optional
fields are left out, never sent as null.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.models import (
    SandboxBusiness,
    SandboxLocation,
    SandboxRecord,
    SandboxSettings,
    SandboxUser,
)

from . import errors, faults, ratelimit, spec, webhooks
from .api import json_body, retry_locked
from .auth import Principal, authenticate
from .errors import GHLError

# Trailing literal segments that name an action on a collection, not a collection.
VERBS = {
    "search",
    "all",
    "status",
    "followers",
    "upsert",
    "validate-slug",
    "url-slug-exists",
    "filter-by-email",
    "recording",
    "transcription",
    "download",
    "typing",
}
# Paths of one resource under two spellings.
ALIASES = {
    "associations/key": "associations",
    "associations/objectKey": "associations",
    "conversations/messages/email": "conversations/messages",
    "calendars/blocked-slots": "calendars/events/block-slots",
    "blogs/site": "blogs",
    "calendars/free-slots": "calendars",
    "conversations/messages/inbound": "conversations/messages",
    "conversations/messages/outbound": "conversations/messages",
}
# Operations whose shape the path alone does not tell: operationId → (kind, key).
SPECIAL: dict[str, tuple[str, str]] = {
    "fetch-calendar-resources": ("list", "resourceType"),
    "create-calendar-resource": ("create", "resourceType"),
    "get-relations-by-record-id": ("relations", "recordId"),
    "get-association-key-by-key-name": ("find", "key"),
    "get-association-by-object-keys": ("find", "objectKey"),
    "get-slots": ("slots", "calendarId"),
    "check-url-slug-exists": ("slug", "urlSlug"),
    "validate-groups-slug": ("slug", "slug"),
    "search-locations": ("locations", ""),
    "get-company": ("company", "companyId"),
    "live-chat-agent-typing": ("ack", ""),
    "filter-users-by-email": ("list", ""),
}
# Webhooks the simulator signs for writes here, by operationId; their payloads take the
# fields of the event's example (webhook-examples/<event>.json).
EVENTS = {
    "create-opportunity": "OpportunityCreate",
    "Upsert-opportunity": "OpportunityUpdate",
    "update-opportunity": "OpportunityUpdate",
    "delete-opportunity": "OpportunityDelete",
    "update-opportunity-status": "OpportunityStatusUpdate",
    "create-user": "UserCreate",
    "create-location": "LocationCreate",
    "create-association": "AssociationCreate",
    "update-association": "AssociationUpdate",
    "delete-association": "AssociationDelete",
    "create-relation": "RelationCreate",
    "delete-relation": "RelationDelete",
    "add-an-inbound-message": "InboundMessage",
    "send-a-new-message": "OutboundMessage",
    "add-an-outbound-message": "OutboundMessage",
}
# An opportunity update also says what changed (OpportunityStageUpdate.json, …).
CHANGE_EVENTS = {
    "pipelineStageId": "OpportunityStageUpdate",
    "status": "OpportunityStatusUpdate",
    "monetaryValue": "OpportunityMonetaryValueUpdate",
    "assignedTo": "OpportunityAssignedToUpdate",
}
# Fields the location or company id goes into when a record schema has them.
OWNER_FIELDS = ("locationId", "location_id", "altId")


def not_found_route(request) -> JsonResponse:
    """GHL's (NestJS) answer for a path no operation has."""
    return errors.error(404, f"Cannot {request.method} {request.path}", "Not Found")


class Shape:
    """What an operation does to the store, read from its path and method."""

    def __init__(self, route: spec.Route, op: spec.SpecOp):
        segments = [s for s in route.path.strip("/").split("/") if s]
        # /conversations/locations/{locationId}/messages/… : the location is scoping only.
        cleaned: list[str] = []
        skip = False
        for n, seg in enumerate(segments):
            if skip:
                skip = False
                continue
            if n > 0 and seg == "locations" and segments[n + 1 : n + 2] == ["{locationId}"]:
                skip = True
                continue
            cleaned.append(seg)
        self.verb = ""
        while cleaned and not cleaned[-1].startswith("{") and cleaned[-1] in VERBS:
            self.verb = self.verb or cleaned[-1]
            cleaned.pop()
        params = [s[1:-1] for s in cleaned if s.startswith("{")]
        literal = [s for s in cleaned if not s.startswith("{")]
        collection = "/".join(literal)
        self.collection = ALIASES.get(collection, collection)
        self.id_param = params[-1] if cleaned and cleaned[-1].startswith("{") else ""
        self.parent_param = (
            params[-1] if params and not self.id_param else (params[-2] if len(params) > 1 else "")
        )
        method = route.method
        special = SPECIAL.get(op.operation_id)
        if special:
            self.kind, self.key = special
            if self.kind in ("list", "create"):
                self.parent_param, self.id_param = self.key, ""
            return
        self.key = ""
        if method == "GET":
            self.kind = "get" if self.id_param else "list"
        elif method == "POST":
            if self.verb == "upsert":
                self.kind = "upsert"
            elif self.verb in ("search", "filter-by-email"):
                self.kind = "list"
            elif self.id_param:
                self.kind = "action"
            else:
                self.kind = "create"
        elif method == "PUT":
            self.kind = "action" if self.verb else "update"
        else:
            self.kind = "action" if self.verb else "delete"
        if self.kind in ("update", "delete", "get") and not self.id_param:
            self.kind = "action"


def _owner(principal: Principal) -> str:
    return principal.location_id or f"company:{principal.company_id}"


def _check_location(principal: Principal, location_id: str) -> None:
    if not location_id:
        return
    if principal.location_id:
        if location_id != principal.location_id:
            raise GHLError(errors.forbidden())
        return
    if not SandboxLocation.objects.filter(pk=location_id, company_id=principal.company_id).exists():
        raise GHLError(errors.forbidden())


def _check_token(principal: Principal, op: spec.SpecOp) -> None:
    scopes, kinds = op.security
    if kinds and all(k.startswith("Agency") for k in kinds) and principal.user_type != "Company":
        raise GHLError(
            errors.unauthorized(
                "This authClass type is not allowed to access this scope. "
                "Please reach out to the Platform team to get it added."
            )
        )
    if (
        kinds
        and principal.user_type == "Company"
        and not any(k.startswith("Agency") for k in kinds)
    ):
        raise GHLError(
            errors.unauthorized(
                "This authClass type is not allowed to access this scope. "
                "Please reach out to the Platform team to get it added."
            )
        )
    if scopes and not any(s in principal.scopes for s in scopes):
        raise GHLError(errors.scope_unauthorized())


def _validate(request, op: spec.SpecOp, values: dict[str, str]) -> dict[str, Any]:
    """422 with the spec's complaints; returns the JSON body."""
    problems: list[str] = []
    for param in op.params("query"):
        name = param["name"]
        value = request.GET.get(name)
        if value is None or value == "":
            if param.get("required"):
                problems.append(f"{name} should not be empty")
            continue
        schema = op.doc.resolve(param.get("schema") or {})
        enum = schema.get("enum")
        if enum and value not in [str(v) for v in enum]:
            problems.append(f"{name} must be one of the following values: {', '.join(enum)}")
        if schema.get("type") in ("number", "integer") and not re.fullmatch(
            r"-?\d+(\.\d+)?", value
        ):
            problems.append(f"{name} must be a number conforming to the specified constraints")
    body: Any = {}
    schema = op.body_schema()
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.body:
        if schema is not None and schema.get("type") == "array":
            try:
                body = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                raise GHLError(errors.bad_request("Unexpected token in JSON body")) from None
        else:
            body = json_body(request)
    if schema is not None and request.method in ("POST", "PUT", "PATCH"):
        problems += spec.check(op.doc, schema, body)
    if problems:
        raise GHLError(errors.unprocessable(problems))
    return body


def _render(doc: spec.Doc, schema: Any, record: SandboxRecord | None) -> Any:
    """A record under `schema`: required fields, then the stored ones that fit."""
    schema = doc.merged(schema)
    value = _required_sample(doc, schema)
    if record is None or not isinstance(value, dict):
        return value
    props = schema.get("properties") or {}
    data = dict(record.data)
    data.setdefault("id", record.record_id)
    data.setdefault("_id", record.record_id)
    if not record.location_id.startswith("company:"):
        for name in OWNER_FIELDS:
            data.setdefault(name, record.location_id)
    stamp = record.created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    updated = record.updated.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    for name in ("dateAdded", "createdAt"):
        data.setdefault(name, stamp)
    for name in ("dateUpdated", "updatedAt"):
        data.setdefault(name, updated)
    for name, item in data.items():
        if name in props and not spec.check(doc, props[name], item):
            value[name] = item
    return value


def _required_sample(doc: spec.Doc, schema: dict[str, Any]) -> Any:
    if (schema.get("type") or ("object" if "properties" in schema else "")) != "object":
        return spec.sample(doc, schema)
    out = {}
    for name in schema.get("required") or []:
        sub = (schema.get("properties") or {}).get(name, {"type": "string"})
        out[name] = spec.sample(doc, sub, 1, name)
    return out


def _answer(
    op: spec.SpecOp,
    records: list[SandboxRecord] | SandboxRecord | None,
    *,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    status, schema, headers = op.success()
    if schema is None:
        kind = (headers.get("Content-Type") or {}).get("description") or "application/json"
        if kind.startswith("application/json"):
            return JsonResponse({}, status=status)
        content = b"RIFF" if "audio" in kind else b"Agent: Hello, how can I help you today?\n"
        response = HttpResponse(content, status=status, content_type=kind)
        disposition = (headers.get("Content-Disposition") or {}).get("description")
        if disposition:
            response["Content-Disposition"] = disposition
        return response
    doc = op.doc
    whole = doc.merged(schema)
    key, shape, record_schema = spec.envelope(doc, whole)
    if whole.get("type") == "array" or (not whole.get("properties") and whole.get("items")):
        items = doc.merged(whole.get("items") or {})
        listed = records if isinstance(records, list) else ([records] if records else [])
        return JsonResponse([_render(doc, items, r) for r in listed], status=status, safe=False)
    body = spec.sample(doc, whole) if not whole.get("properties") else {}
    if whole.get("properties"):
        for name, sub in whole["properties"].items():
            if name == key:
                continue
            body[name] = spec.sample(doc, sub, 1, name)
    if key is None and shape == "one" and whole.get("properties"):
        record = records[0] if isinstance(records, list) and records else records
        if isinstance(record, SandboxRecord):
            rendered = _render(doc, whole, record)
            body.update({k: v for k, v in rendered.items() if k in whole["properties"]})
    elif key is not None:
        if shape == "list":
            listed = records if isinstance(records, list) else ([records] if records else [])
            body[key] = [_render(doc, record_schema, r) for r in listed]
            for counter in ("total", "count", "totalCount"):
                if counter in whole["properties"] and isinstance(body.get(counter), int):
                    body[counter] = len(listed)
        else:
            record = records[0] if isinstance(records, list) and records else records
            body[key] = _render(
                doc, record_schema, record if isinstance(record, SandboxRecord) else None
            )
    for name, value in (extra or {}).items():
        if name in (whole.get("properties") or {}):
            body[name] = value
    return JsonResponse(spec.fit(doc, whole, body), status=status, safe=False)


def _records(owner: str, collection: str):
    return SandboxRecord.objects.filter(location_id=owner, collection=collection)


def _get(owner: str, collection: str, record_id: str) -> SandboxRecord:
    record = _records(owner, collection).filter(record_id=record_id).first()
    if record is None:
        raise GHLError(
            errors.not_found(f"{collection.split('/')[-1].rstrip('s').title()} not found")
        )
    return record


def _page(request, records):
    """skip/offset/limit/startAfterId/lastMessageId paging, as the list declares."""
    items = list(records)
    after = request.GET.get("startAfterId") or request.GET.get("lastMessageId")
    if after:
        ids = [r.record_id for r in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    start = request.GET.get("skip") or request.GET.get("offset") or "0"
    start_n = int(start) if start.isdigit() else 0
    limit = request.GET.get("limit") or request.GET.get("pageLimit")
    limit_n = int(limit) if limit and limit.isdigit() else 100
    page = request.GET.get("page")
    if page and page.isdigit() and int(page) > 1:
        start_n += (int(page) - 1) * limit_n
    return items, items[start_n : start_n + limit_n]


def _filter(request, records, body: dict[str, Any]):
    query = (request.GET.get("query") or request.GET.get("q") or body.get("query") or "").lower()
    if query:
        records = [r for r in records if query in str(r.data).lower()]
    email = body.get("emails") or body.get("email")
    if email:
        wanted = {e.lower() for e in (email if isinstance(email, list) else [email])}
        records = [r for r in records if str(r.data.get("email", "")).lower() in wanted]
    for name in ("status", "pipeline_id", "pipelineId", "contact_id", "contactId", "blogId"):
        value = request.GET.get(name)
        if value:
            field = {"pipeline_id": "pipelineId", "contact_id": "contactId"}.get(name, name)
            records = [r for r in records if str(r.data.get(field, value)) == value]
    return records


@cache
def _example_fields(event: str) -> list[str]:
    path = spec.SPEC_DIR / "webhook-examples" / f"{event}.json"
    try:
        example = json.loads(path.read_text())[0]
    except (OSError, ValueError, IndexError):
        return []
    return [k for k in example if k not in ("type", "locationId")]


def _emit(
    op: spec.SpecOp, owner: str, record: SandboxRecord | None, before: dict | None = None
) -> None:
    event = EVENTS.get(op.operation_id)
    if event is None or record is None or owner.startswith("company:"):
        return
    data = {
        "id": record.record_id,
        "dateAdded": record.created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        **record.data,
    }
    events = [event]
    if before is not None and event == "OpportunityUpdate":
        events += [e for k, e in CHANGE_EVENTS.items() if before.get(k) != data.get(k)]
    for name in dict.fromkeys(events):
        fields = _example_fields(name) or list(data)
        payload = {k: data[k] for k in fields if data.get(k) is not None}
        if str(payload.get("messageType", "")).startswith("TYPE_"):
            # The API's TYPE_SMS is "SMS" in message webhooks (InboundMessage.json).
            payload["messageType"] = payload["messageType"].removeprefix("TYPE_")
        webhooks.emit(name, payload, owner)


def _mirror(collection: str, owner: str, record: SandboxRecord, deleted: bool = False) -> None:
    """Keep the hand-written views' tables in step (bulk business, followers check them)."""
    if owner.startswith("company:"):
        return
    if collection == "businesses":
        if deleted:
            SandboxBusiness.objects.filter(pk=record.record_id).delete()
        else:
            SandboxBusiness.objects.update_or_create(
                pk=record.record_id,
                defaults={"location_id": owner, "name": str(record.data.get("name") or "")[:200]},
            )
    elif collection == "users":
        location = SandboxLocation.objects.filter(pk=owner).first()
        if deleted:
            SandboxUser.objects.filter(pk=record.record_id).delete()
        elif location is not None:
            SandboxUser.objects.update_or_create(
                pk=record.record_id,
                defaults={
                    "company_id": location.company_id,
                    "location": location,
                    "first_name": str(record.data.get("firstName") or "")[:100],
                    "last_name": str(record.data.get("lastName") or "")[:100],
                    "email": str(record.data.get("email") or "")[:200],
                },
            )


def handle(request, principal: Principal, route: spec.Route, op: spec.SpecOp, values):
    shape = Shape(route, op)
    body = _validate(request, op, values)
    if isinstance(body, list):  # a batch (create-event-notification): one record each
        body = body[0] if body and isinstance(body[0], dict) else {}
    for name in ("locationId", "location_id", "altId"):
        value = values.get(name) or request.GET.get(name) or body.get(name)
        if isinstance(value, str) and (name != "altId" or body.get("altType") != "company"):
            _check_location(principal, value)
    owner = _owner(principal)
    collection = shape.collection
    parent = values.get(shape.parent_param, "") if shape.parent_param else ""
    kind = shape.kind
    if kind == "list":
        records = _records(owner, collection)
        if parent:
            records = records.filter(parent_id=parent)
        everything, page = _page(request, _filter(request, records, body))
        return _answer(op, page, extra={"total": len(everything), "count": len(everything)})
    if kind == "get":
        return _answer(op, _get(owner, collection, values[shape.id_param]))
    if kind in ("create", "upsert"):
        record = None
        if kind == "upsert" and body.get("id"):
            record = _records(owner, collection).filter(record_id=body["id"]).first()
        if record is None:
            record = SandboxRecord(location_id=owner, collection=collection, parent_id=parent)
        record.data = {**record.data, **{k: v for k, v in body.items() if v is not None}}
        if collection == "conversations/messages":
            # A message's text is sent as "message" and read back as "body".
            record.data.setdefault("body", body.get("message") or "")
            record.data.setdefault(
                "direction",
                "inbound" if op.operation_id.endswith("inbound-message") else "outbound",
            )
            record.data.setdefault("messageType", f"TYPE_{body.get('type', 'SMS')}".upper())
            record.data.setdefault("contentType", "text/plain")
            record.data.setdefault("status", "delivered")
            record.parent_id = record.parent_id or str(body.get("conversationId") or "")
        record.updated = timezone.now()
        record.save()
        _mirror(collection, owner, record)
        _emit(op, owner, record)
        return _answer(op, record, extra={"new": True})
    if kind == "update":
        record = _get(owner, collection, values[shape.id_param])
        before = dict(record.data)
        record.data = {**record.data, **{k: v for k, v in body.items() if v is not None}}
        record.updated = timezone.now()
        record.save()
        _mirror(collection, owner, record)
        _emit(op, owner, record, before)
        return _answer(op, record)
    if kind == "delete":
        record = _get(owner, collection, values[shape.id_param])
        _emit(op, owner, record)
        _mirror(collection, owner, record, deleted=True)
        record.delete()
        return _answer(op, None, extra={"succeded": True, "success": True, "deleted": True})
    if kind == "action":
        record = None
        if shape.id_param:
            record = _get(owner, collection, values[shape.id_param])
            if request.method in ("PUT", "POST") and body:
                changes = {k: v for k, v in body.items() if v is not None}
                if shape.verb == "followers" and isinstance(body.get("followers"), list):
                    followers = list(record.data.get("followers") or [])
                    changes = {
                        "followers": followers
                        + [f for f in body["followers"] if f not in followers]
                    }
                record.data = {**record.data, **changes}
                record.updated = timezone.now()
                record.save()
            elif request.method == "DELETE" and shape.verb == "followers":
                gone = set(body.get("followers") or [])
                record.data = {
                    **record.data,
                    "followers": [f for f in record.data.get("followers") or [] if f not in gone],
                }
                record.save()
            _emit(op, owner, record)
        return _answer(op, record, extra={"succeded": True, "success": True})
    if kind == "find":
        value = values.get(shape.key if shape.key != "key" else "key_name", "")
        field = "key" if shape.key == "key" else shape.key
        found = [
            r
            for r in _records(owner, collection)
            if value
            in (r.data.get(field), r.data.get("firstObjectKey"), r.data.get("secondObjectKey"))
        ]
        if not found:
            raise GHLError(errors.not_found("Association not found"))
        return _answer(op, found[0])
    if kind == "relations":
        record_id = values.get("recordId", "")
        found = [
            r
            for r in _records(owner, "associations/relations")
            if record_id in (r.data.get("firstRecordId"), r.data.get("secondRecordId"))
        ]
        return _answer(op, found, extra={"total": len(found)})
    if kind == "slug":
        slug = request.GET.get(shape.key) or body.get(shape.key) or ""
        taken = any(
            r.data.get("urlSlug") == slug or r.data.get("slug") == slug
            for r in _records(owner, "blogs/posts" if shape.key == "urlSlug" else collection)
        )
        return _answer(op, None, extra={"exists": taken, "available": not taken})
    if kind == "slots":
        return _free_slots(request, owner, values["calendarId"], op)
    if kind == "locations":
        found = [
            SandboxRecord(
                location_id=owner,
                collection="locations",
                record_id=loc.id,
                data={
                    "name": loc.name,
                    "companyId": loc.company_id,
                    "timezone": loc.timezone,
                },
            )
            for loc in SandboxLocation.objects.filter(company_id=principal.company_id).order_by(
                "created"
            )
        ]
        return _answer(op, _page(request, found)[1])
    if kind == "company":
        if values.get("companyId") != principal.company_id:
            raise GHLError(errors.forbidden())
        company = SandboxRecord(
            location_id=owner,
            collection="companies",
            record_id=principal.company_id,
            data={"name": "Sandbox Agency", "email": "agency@sandbox.example"},
        )
        return _answer(op, company)
    return _answer(op, None, extra={"success": True})


def _free_slots(request, owner: str, calendar_id: str, op: spec.SpecOp) -> JsonResponse:
    """{"YYYY-MM-DD": {"slots": [local ISO starts]}}: every slotDuration from 9:00 to 17:00
    in the calendar's time zone, days between startDate and endDate (ms, at most 31 days),
    less the slots a booked appointment overlaps."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from sandbox.models import SandboxAppointment, SandboxCalendar

    calendar = _get(owner, "calendars", calendar_id)
    row = SandboxCalendar.objects.filter(pk=calendar_id).first()
    minutes = int(calendar.data.get("slotDuration") or (row.slot_duration if row else 30) or 30)
    location = SandboxLocation.objects.filter(pk=owner).first()
    try:
        zone = ZoneInfo(request.GET.get("timezone") or (location.timezone if location else "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise GHLError(errors.unprocessable(["timezone must be a valid IANA time zone"])) from None
    start = datetime.fromtimestamp(float(request.GET["startDate"]) / 1000, zone)
    end = datetime.fromtimestamp(float(request.GET["endDate"]) / 1000, zone)
    if end < start:
        raise GHLError(errors.unprocessable(["endDate must be after startDate"]))
    end = min(end, start + timedelta(days=31))
    booked = [
        (a.start_time, a.end_time)
        for a in SandboxAppointment.objects.filter(
            calendar_id=calendar_id, start_time__lt=end, end_time__gt=start
        )
    ]
    out: dict[str, Any] = {}
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        slots = []
        slot = day.replace(hour=9)
        while slot + timedelta(minutes=minutes) <= day.replace(hour=17):
            finish = slot + timedelta(minutes=minutes)
            free = not any(b0 < finish and b1 > slot for b0, b1 in booked)
            if start <= slot <= end and free:
                slots.append(slot.isoformat())
            slot = finish
        if slots:
            out[day.date().isoformat()] = {"slots": slots}
        day += timedelta(days=1)
    status, _, _ = op.success()
    return JsonResponse(out, status=status)


@csrf_exempt
@retry_locked
def view(request, rest: str = ""):
    path = "/" + rest
    found = spec.match(request.method, path)
    if found is None:
        return not_found_route(request)
    route, values = found
    verdict = None
    try:
        principal = authenticate(request)
        version = request.headers.get("Version", "").strip()
        if version not in route.versions():
            raise GHLError(errors.bad_request("Version header is missing or invalid"))
        op = route.for_version(version)
        row = SandboxSettings.load()
        verdict = ratelimit.hit(principal.resource_key, row)
        if not verdict.allowed:
            response = errors.too_many_requests()
            response["Retry-After"] = str(verdict.retry_after)
        else:
            response = faults.maybe_fault(row)
            if response is None:
                _check_token(principal, op)
                if request.method in ("GET", "HEAD"):
                    response = handle(request, principal, route, op, values)
                else:
                    with webhooks.atomic():
                        response = handle(request, principal, route, op, values)
    except GHLError as exc:
        response = exc.response
    if verdict is not None:
        for key, value in verdict.headers().items():
            response[key] = value
    return response
