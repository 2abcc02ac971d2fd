"""Inviting teammates and accepting invitations."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.models import AuditEntry, Invitation, Membership, Workspace


def invite(workspace: Workspace, by: Any, email: str, role: str) -> Invitation:
    email = email.strip().lower()
    Invitation.objects.filter(workspace=workspace, email=email, accepted__isnull=True).delete()
    invitation = Invitation.objects.create(
        workspace=workspace, email=email, role=role, invited_by=by
    )
    AuditEntry.record(workspace, by, "member.invited", email, role=role)
    return invitation


def accept_invitation(token: str, user: Any) -> Membership | None:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token=token)
            .select_related("workspace")
            .first()
        )
        if invitation is None or not invitation.usable:
            return None
        membership, _ = Membership.objects.get_or_create(
            workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted = timezone.now()
        invitation.save(update_fields=["accepted"])
        AuditEntry.record(
            invitation.workspace, user, "member.joined", invitation.email, role=membership.role
        )
        return membership
