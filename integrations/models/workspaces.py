from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    OPERATOR = "operator", "Operator"
    VIEWER = "viewer", "Viewer"


# What each role may do. Views ask `membership.can("…")`; never compare role names there.
PERMISSIONS: dict[str, set[str]] = {
    Role.OWNER: {"view", "operate", "manage", "manage_team"},
    Role.ADMIN: {"view", "operate", "manage"},
    Role.OPERATOR: {"view", "operate"},
    Role.VIEWER: {"view"},
}


class Workspace(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    created = models.DateTimeField(auto_now_add=True)
    # Members without two-factor authentication are sent to set it up before anything else
    # (dashboard/middleware.py). Only owners change it.
    require_mfa = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())


def _invite_token() -> str:
    return secrets.token_urlsafe(32)


def _invite_expiry():  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    token = models.CharField(max_length=64, unique=True, default=_invite_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(default=_invite_expiry)
    accepted = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.workspace}"

    @property
    def usable(self) -> bool:
        return self.accepted is None and self.expires > timezone.now()
