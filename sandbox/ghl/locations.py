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
