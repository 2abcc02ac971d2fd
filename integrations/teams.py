"""Inviting teammates and accepting invitations."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.models import AuditEntry, Invitation, Membership, Role, Workspace
from integrations.models.workspaces import _invite_expiry, _invite_token


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


# --- managing the team: roles, removal, ownership, invitations --------------------------


class TeamRefused(Exception):
    """A team change that is not allowed; the message says why, for the owner."""


def _owners(workspace: Workspace) -> list[int]:
    """The owners' membership ids, locked until the transaction ends (two owners demoting
    each other at once cannot leave the workspace without one)."""
    return list(
        Membership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.OWNER)
        .values_list("pk", flat=True)
    )


def _protect_last_owner(membership: Membership, losing: str) -> None:
    owners = _owners(membership.workspace)
    if membership.role == Role.OWNER and owners == [membership.pk]:
        raise TeamRefused(
            f"{membership.user.email} is the workspace's only owner and cannot be {losing}: "
            "make someone else an owner first (or transfer ownership)."
        )


def change_role(membership: Membership, by: Any, role: str) -> bool:
    """Give a member another role; audited. Returns whether anything changed."""
    if role not in Role.values:
        raise TeamRefused("Choose one of the roles.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == role:
            return False
        if role != Role.OWNER:
            _protect_last_owner(membership, "demoted")
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        AuditEntry.record(
            membership.workspace,
            by,
            "member.role_changed",
            membership.user.email,
            before=before,
            after=role,
        )
    return True


def remove_member(membership: Membership, by: Any) -> None:
    """Take a member out of the workspace (their account stays); audited."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _protect_last_owner(membership, "removed")
        email = membership.user.email
        membership.delete()
        AuditEntry.record(membership.workspace, by, "member.removed", email, role=membership.role)


def transfer_ownership(by: Membership, to: Membership) -> None:
    """Make `to` an owner and `by` (an owner) an admin, together; audited."""
    if by.workspace_id != to.workspace_id:
        raise TeamRefused("That person is not a member of this workspace.")
    if by.pk == to.pk:
        raise TeamRefused("You already own this workspace.")
    with transaction.atomic():
        _owners(by.workspace)
        by = Membership.objects.select_for_update().get(pk=by.pk)
        if by.role != Role.OWNER:
            raise TeamRefused("Only an owner can transfer ownership.")
        Membership.objects.filter(pk=to.pk).update(role=Role.OWNER)
        Membership.objects.filter(pk=by.pk).update(role=Role.ADMIN)
        AuditEntry.record(
            by.workspace,
            by.user,
            "workspace.ownership_transferred",
            to.user.email,
            previous_owner=by.user.email,
        )


def resend_invitation(invitation: Invitation, by: Any) -> Invitation:
    """A new link (the old one stops working) valid for another week; audited."""
    invitation.token = _invite_token()
    invitation.expires = _invite_expiry()
    invitation.save(update_fields=["token", "expires"])
    AuditEntry.record(invitation.workspace, by, "member.invitation_resent", invitation.email)
    return invitation


def revoke_invitation(invitation: Invitation, by: Any) -> None:
    invitation.delete()
    AuditEntry.record(invitation.workspace, by, "member.invitation_revoked", invitation.email)
