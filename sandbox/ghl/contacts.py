"""Contacts: CRUD, upsert, duplicate lookup, deprecated list, by-business, bulk operations."""

from __future__ import annotations

import uuid

from django.db.models import Q

from sandbox.models import SandboxBusiness, SandboxContact, SandboxLocation

from . import errors, services
from .api import READ, WRITE, endpoint, json_body, ok
from .auth import Principal, check_location
from .errors import GHLError


def require_location(principal: Principal, location_id) -> SandboxLocation:
    if not location_id or not isinstance(location_id, str):
        raise GHLError(errors.unprocessable(["locationId should not be empty"]))
    check_location(principal, location_id)
    location = SandboxLocation.objects.filter(pk=location_id).first()
    if location is None:
        raise GHLError(errors.forbidden())
    return location


def get_contact(principal: Principal, contact_id: str, lock: bool = False) -> SandboxContact:
    qs = SandboxContact.objects.all()
    if lock:
        qs = qs.select_for_update()
    contact = qs.filter(pk=contact_id).first()
    if contact is None:
        raise GHLError(errors.not_found("Contact not found"))
    check_location(principal, contact.location_id)
    return contact


def _validated(data: dict, allowed: set[str]) -> dict:
    clean, problems = services.validate_contact(data, allowed)
    if problems:
        raise GHLError(errors.unprocessable(problems))
    return clean


def _duplicate_error(dup: SandboxContact, field: str):
    return errors.bad_request(
        "This location does not allow duplicated contacts.",
        meta={"contactName": dup.name, "contactId": dup.id, "matchingField": field},
    )


# --- /contacts/ ---------------------------------------------------------------------------


def create_contact(request, principal):
    data = json_body(request)
    clean = _validated(data, services.CREATE_KEYS)
    location = require_location(principal, data.get("locationId"))
    if not location.allow_duplicate_contact:
        dup, field = services.find_duplicate(
            location, clean.get("email", ""), clean.get("phone", "")
        )
        if dup is not None:
            raise GHLError(_duplicate_error(dup, field))
    contact = services.create_contact(location, clean)
    body = services.contact_to_dict(contact)
    body.update({"deleted": False, "bounceEmail": False, "unsubscribeEmail": False})
    return ok({"contact": body}, status=201)


def list_contacts(request, principal):
    """GET /contacts/ (deprecated): ordered by dateAdded then id, cursor startAfter(Id)."""
    params = request.GET
    location = require_location(principal, params.get("locationId"))
    try:
        limit = int(params.get("limit") or 20)
    except ValueError:
        raise GHLError(errors.unprocessable(["limit must be a number"])) from None
    if limit < 1 or limit > 100:
        raise GHLError(errors.unprocessable(["limit must not be greater than 100"]))
    qs = SandboxContact.objects.filter(location=location)
    query = (params.get("query") or "").strip()
    if query:
        qs = qs.filter(text_query(query))
    total = qs.count()
    start_after = params.get("startAfter")
    start_after_id = params.get("startAfterId")
    if start_after:
        when = services.parse_when(start_after)
        if when is None:
            raise GHLError(errors.unprocessable(["startAfter must be a number"]))
        cursor = Q(date_added__gt=when)
        if start_after_id:
            cursor |= Q(date_added=when, id__gt=start_after_id)
        qs = qs.filter(cursor)
    elif start_after_id:
        anchor = SandboxContact.objects.filter(pk=start_after_id, location=location).first()
        if anchor:
            qs = qs.filter(
                Q(date_added__gt=anchor.date_added)
                | Q(date_added=anchor.date_added, id__gt=anchor.id)
            )
    page = list(qs.order_by("date_added", "id")[:limit])
    contacts = [services.contact_to_dict(c) for c in page]
    meta = {"total": total, "currentPage": None, "nextPage": None, "prevPage": None}
    if len(page) == limit:
        last = page[-1]
        meta.update(
            {
                "startAfterId": last.id,
                "startAfter": services.ms(last.date_added),
                "nextPageUrl": request.build_absolute_uri(request.path)
                + f"?locationId={location.id}&startAfter={services.ms(last.date_added)}"
                f"&startAfterId={last.id}&limit={limit}",
            }
        )
    return ok({"contacts": contacts, "count": len(contacts), "meta": meta})


def text_query(query: str) -> Q:
    q = Q()
    for word in query.split():
        q &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
            | Q(company_name__icontains=word)
        )
    return q


contacts_root = endpoint({"POST": (WRITE, create_contact), "GET": (READ, list_contacts)})


# --- /contacts/{contactId} ----------------------------------------------------------------


def get_one(request, principal, contactId):
    return ok({"contact": services.contact_to_dict(get_contact(principal, contactId))})


def update_one(request, principal, contactId):
    data = json_body(request)
    clean = _validated(data, services.UPDATE_KEYS)
    contact = get_contact(principal, contactId, lock=True)
    location = contact.location
    if not location.allow_duplicate_contact and ("email" in clean or "phone" in clean):
        dup, field = services.find_duplicate(
            location, clean.get("email", ""), clean.get("phone", ""), exclude_id=contact.id
        )
        if dup is not None:
            raise GHLError(_duplicate_error(dup, field))
    services.update_contact(contact, clean)
    return ok({"succeded": True, "contact": services.contact_to_dict(contact)})


def delete_one(request, principal, contactId):
    services.delete_contact(get_contact(principal, contactId, lock=True))
    return ok({"succeded": True})


contact_detail = endpoint(
    {"GET": (READ, get_one), "PUT": (WRITE, update_one), "DELETE": (WRITE, delete_one)}
)


# --- /contacts/upsert ---------------------------------------------------------------------


def upsert(request, principal):
    data = json_body(request)
    clean = _validated(data, services.UPSERT_KEYS)
    location = require_location(principal, data.get("locationId"))
    create_new = data.get("createNewIfDuplicateAllowed") is True
    existing = None
    if not (location.allow_duplicate_contact and create_new):
        existing, _ = services.find_duplicate(
            location, clean.get("email", ""), clean.get("phone", "")
        )
    if existing is None:
        contact, is_new = services.create_contact(location, clean), True
    else:
        contact, is_new = services.update_contact(existing, clean), False
    return ok(
        {"new": is_new, "contact": services.contact_to_dict(contact), "traceId": str(uuid.uuid4())}
    )


contacts_upsert = endpoint({"POST": (WRITE, upsert)})


# --- /contacts/search/duplicate -----------------------------------------------------------


def duplicate(request, principal):
    location = require_location(principal, request.GET.get("locationId"))
    email = (request.GET.get("email") or "").strip()
    number = (request.GET.get("number") or "").strip()
    if not email and not number:
        raise GHLError(errors.bad_request("Either email or number is required"))
    found, _ = services.find_duplicate(location, email, number)
    return ok({"contact": services.contact_to_dict(found) if found else None})


contacts_duplicate = endpoint({"GET": (READ, duplicate)})


# --- /contacts/business/{businessId} ------------------------------------------------------


def by_business(request, principal, businessId):
    params = request.GET
    location = require_location(principal, params.get("locationId"))
    try:
        limit = int(params.get("limit") or 25)
        skip = int(params.get("skip") or 0)
    except ValueError:
        raise GHLError(errors.unprocessable(["limit must be a number"])) from None
    qs = SandboxContact.objects.filter(location=location, business_id=businessId)
    if params.get("query"):
        qs = qs.filter(text_query(params["query"]))
    rows = [
        services.contact_to_dict(c) for c in qs.order_by("date_added", "id")[skip : skip + limit]
    ]
    return ok({"contacts": rows, "count": qs.count()})


contacts_by_business = endpoint({"GET": (READ, by_business)})


# --- bulk ---------------------------------------------------------------------------------


def bulk_tags(request, principal, type):
    if type not in ("add", "remove"):
        raise GHLError(
            errors.unprocessable(["type must be one of the following values: add, remove"])
        )
    data = json_body(request)
    problems = []
    if not isinstance(data.get("contacts"), list) or not data.get("contacts"):
        problems.append("contacts should not be empty")
    if not isinstance(data.get("tags"), list):
        problems.append("tags must be an array")
    if problems:
        raise GHLError(errors.unprocessable(problems))
    require_location(principal, data.get("locationId"))
    tags = [t for t in data["tags"] if isinstance(t, str)]
    remove_all = data.get("removeAllTags") is True
    responses, error_count = [], 0
    for contact_id in data["contacts"]:
        contact = (
            SandboxContact.objects.filter(pk=contact_id).first()
            if isinstance(contact_id, str)
            else None
        )
        if contact is None:
            responses.append(
                {"contactId": contact_id, "message": "contact not found", "type": "error"}
            )
            error_count += 1
            continue
        if contact.location_id != data["locationId"]:
            responses.append(
                {
                    "contactId": contact_id,
                    "message": "contact does not belong to location",
                    "type": "error",
                }
            )
            error_count += 1
            continue
        old = list(contact.tags)
        if type == "add":
            services.change_tags(contact, add=tags, remove_all=remove_all)
        else:
            services.change_tags(contact, remove=tags, remove_all=remove_all)
        responses.append(
            {
                "contactId": contact_id,
                "message": "Tags updated",
                "type": "success",
                "oldTags": old,
                "tagsAdded": [t for t in contact.tags if t not in old],
                "tagsRemoved": [t for t in old if t not in contact.tags],
            }
        )
    return ok(
        {
            "succeded": error_count == 0,
            "errorCount": error_count,
            "responses": responses,
            # v3 adds the right spelling next to the old one (contacts-v3.json requires both).
            **({"succeeded": error_count == 0} if request.headers.get("Version") == "v3" else {}),
        },
        201,
    )


# The bulk endpoints declare no security scope in the spec: a valid token is enough.
contacts_bulk_tags = endpoint({"POST": (None, bulk_tags)})


def bulk_business(request, principal):
    data = json_body(request)
    problems = []
    if not isinstance(data.get("ids"), list) or not data.get("ids"):
        problems.append("ids should not be empty")
    if "businessId" not in data:
        problems.append("businessId must be a string")
    if problems:
        raise GHLError(errors.unprocessable(problems))
    location = require_location(principal, data.get("locationId"))
    business_id = data["businessId"] or ""
    if (
        business_id
        and not SandboxBusiness.objects.filter(pk=business_id, location=location).exists()
    ):
        raise GHLError(errors.bad_request("Business not found"))
    updated = []
    for contact in SandboxContact.objects.filter(location=location, pk__in=data["ids"]):
        services.update_contact(contact, {"business_id": business_id})
        updated.append(contact.id)
    return ok({"success": True, "ids": updated})


contacts_bulk_business = endpoint({"POST": (None, bulk_business)})
