"""Inviting teammates and accepting invitations."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q
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


class WrongInvitee(Exception):
    """The invitation was sent to an address that is not the user's."""

    def __init__(self, invited_email: str) -> None:
        super().__init__(f"This invitation was sent to {invited_email}.")
        self.invited_email = invited_email


def user_emails(user: Any) -> set[str]:
    """The addresses a user owns: user.email and allauth's verified or primary addresses."""
    emails = {user.email.strip().lower()} if user.email else set()
    rows = EmailAddress.objects.filter(Q(verified=True) | Q(primary=True), user=user)
    emails.update(email.strip().lower() for email in rows.values_list("email", flat=True))
    return emails


def is_invitee(invitation: Invitation, user: Any) -> bool:
    return invitation.email.strip().lower() in user_emails(user)


def accept_invitation(token: str, user: Any) -> Membership | None:
    """Join the workspace; None if the link is unknown, spent or expired.

    Raises WrongInvitee (and changes nothing) when the user does not own the invited address.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token=token)
            .select_related("workspace")
            .first()
        )
        if invitation is None or not invitation.usable:
            return None
        if not is_invitee(invitation, user):
            raise WrongInvitee(invitation.email)
        membership, _ = Membership.objects.get_or_create(
            workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted = timezone.now()
        invitation.save(update_fields=["accepted"])
        AuditEntry.record(
            invitation.workspace, user, "member.joined", invitation.email, role=membership.role
        )
        return membership


def set_require_mfa(workspace: Workspace, by: Any, required: bool) -> bool:
    """Require (or stop requiring) two-factor authentication of every member; audited.
    Returns whether anything changed."""
    if workspace.require_mfa == required:
        return False
    workspace.require_mfa = required
    workspace.save(update_fields=["require_mfa"])
    AuditEntry.record(
        workspace, by, "workspace.mfa_required" if required else "workspace.mfa_optional", ""
    )
    return True
