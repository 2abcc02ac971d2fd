"""GET /locations/{locationId} (locations.json, scope locations.readonly)."""

from __future__ import annotations

from sandbox.models import SandboxLocation

from . import errors
from .api import endpoint, ok
from .auth import check_location
from .errors import GHLError


def get_location(request, principal, locationId):
    check_location(principal, locationId)
    location = SandboxLocation.objects.filter(pk=locationId).first()
    if location is None:
        raise GHLError(errors.error(404, "Location not found", "Not Found"))
    return ok(
        {
            "location": {
                "id": location.id,
                "companyId": location.company_id,
                "name": location.name,
                "domain": "",
                "address": "",
                "city": "",
                "state": "",
                "country": "US",
                "postalCode": "",
                "website": "",
                "timezone": location.timezone,
                "firstName": "",
                "lastName": "",
                "email": "",
                "phone": "",
                "business": {"name": location.name, "timezone": location.timezone},
                "social": {},
                "settings": {"allowDuplicateContact": location.allow_duplicate_contact},
            }
        }
    )


location_detail = endpoint({"GET": ("locations.readonly", get_location)})


def get_custom_fields(request, principal, locationId):
    """GET /locations/{locationId}/customFields?model=contact|opportunity|all."""
    from sandbox.models import SandboxCustomField

    check_location(principal, locationId)
    model = request.GET.get("model", "all")
    if model not in ("contact", "opportunity", "all"):
        raise GHLError(errors.unprocessable(["model must be one of contact, opportunity, all"]))
    fields = SandboxCustomField.objects.filter(location_id=locationId).order_by("name")
    if model == "opportunity":
        fields = fields.none()  # the sandbox only has contact custom fields
    return ok(
        {
            "customFields": [
                {
                    "id": f.id,
                    "name": f.name,
                    "fieldKey": f.field_key,
                    "placeholder": "",
                    "dataType": f.data_type,
                    "position": n,
                    "picklistOptions": f.picklist_options,
                    "locationId": f.location_id,
                    "model": "contact",
                }
                for n, f in enumerate(fields)
            ]
        }
    )


custom_fields = endpoint({"GET": ("locations/customFields.readonly", get_custom_fields)})
