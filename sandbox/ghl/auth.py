"""Bearer tokens, the Version header and scope checks for the simulated GHL API."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from django.utils import timezone

from sandbox.models import SandboxPrivateIntegrationToken, SandboxToken

from . import errors

ACCEPTED_VERSIONS = {"2021-07-28", "2021-04-15", "2023-02-21"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_hex(24)


@dataclass
class Principal:
    kind: str  # "oauth" | "pit"
    user_type: str  # "Location" | "Company"
    location_id: str | None
    company_id: str
    client_id: str
    scopes: set[str] = field(default_factory=set)

    @property
    def resource_key(self) -> str:
        """Rate limits apply per app per resource (location or company)."""
        resource = self.location_id or f"company:{self.company_id}"
        return f"{self.client_id}|{resource}"


def authenticate(request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.GHLError(errors.unauthorized())
    digest = hash_token(token)
    row = (
        SandboxToken.objects.filter(token_hash=digest, kind=SandboxToken.ACCESS)
        .only("user_type", "location_id", "company_id", "client_id", "scopes", "expires_at")
        .first()
    )
    if row is not None:
        if row.expires_at <= timezone.now():
            raise errors.GHLError(errors.unauthorized())
        return Principal(
            kind="oauth",
            user_type=row.user_type,
            location_id=row.location_id,
            company_id=row.company_id,
            client_id=row.client_id,
            scopes=set(row.scopes.split()),
        )
    pit = (
        SandboxPrivateIntegrationToken.objects.filter(token_hash=digest)
        .select_related("location")
        .first()
    )
    if pit is not None:
        return Principal(
            kind="pit",
            user_type="Location",
            location_id=pit.location_id,
            company_id=pit.location.company_id,
            client_id=f"pit-{pit.pk}",
            scopes=set(pit.scopes.split()),
        )
    raise errors.GHLError(errors.unauthorized())


MOUNT = "/sandbox/ghl"


def check_version(request) -> None:
    """The Version values the spec allows for this operation: its dated v2 value, and v3
    where the v3 spec has the operation (FACTS §3). Operations no vendored spec has fall
    back to the dated values."""
    from . import spec

    version = request.headers.get("Version", "").strip()
    path = request.path.split(MOUNT, 1)[-1] or "/"
    allowed = spec.allowed_versions(request.method, path)
    if allowed is None:
        allowed = ACCEPTED_VERSIONS
    if version not in allowed:
        raise errors.GHLError(errors.bad_request("Version header is missing or invalid"))


def check_scope(principal: Principal, scope: str | None) -> None:
    if scope is None:  # the operation declares no security scope (e.g. contacts bulk)
        return
    if principal.user_type != "Location":
        # Contacts operations are "bearer"/Location-Access only.
        raise errors.GHLError(
            errors.unauthorized(
                "This authClass type is not allowed to access this scope. "
                "Please reach out to the Platform team to get it added."
            )
        )
    if scope not in principal.scopes:
        raise errors.GHLError(errors.scope_unauthorized())


def check_location(principal: Principal, location_id: str | None) -> None:
    if not location_id or location_id != principal.location_id:
        raise errors.GHLError(errors.forbidden())
