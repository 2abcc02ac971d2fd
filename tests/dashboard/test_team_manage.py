"""Managing the team: roles, removal, ownership transfer, resending and revoking invitations.
Owners only (403 for others, 404 for another workspace's members), audited, and the last
owner can neither demote nor remove themselves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import AuditEntry, Invitation, Membership, Role

pytestmark = pytest.mark.django_db


def member(user):
    return Membership.objects.get(user=user)


def post(client, name, pk, data=None):
    return client.post(reverse(f"dashboard:{name}", args=[pk]), data or {}, follow=True)


def test_owner_changes_a_role(client, owner, operator, workspace):
    client.force_login(owner)
    response = post(client, "member_role", member(operator).pk, {"role": "admin"})
    assert "operator@example.com is now Admin." in response.content.decode()
    assert member(operator).role == Role.ADMIN
    entry = AuditEntry.objects.get(action="member.role_changed")
    assert entry.actor == owner and entry.target == "operator@example.com"
    assert entry.detail == {"before": "operator", "after": "admin"}


def test_a_bad_role_is_400(client, owner, operator):
    client.force_login(owner)
    url = reverse("dashboard:member_role", args=[member(operator).pk])
    assert client.post(url, {"role": "god"}).status_code == 400
    assert member(operator).role == Role.OPERATOR


def test_the_last_owner_cannot_demote_or_remove_themselves(client, owner, operator):
    client.force_login(owner)
    mine = member(owner).pk
    html = post(client, "member_role", mine, {"role": "viewer"}).content.decode()
    assert "only owner" in html and member(owner).role == Role.OWNER
    html = post(client, "member_remove", mine).content.decode()
    assert "only owner" in html and Membership.objects.filter(pk=mine).exists()
    assert not AuditEntry.objects.filter(action__in=["member.role_changed", "member.removed"])


def test_with_two_owners_one_may_step_down(client, owner, operator):
    Membership.objects.filter(pk=member(operator).pk).update(role=Role.OWNER)
    client.force_login(owner)
    post(client, "member_role", member(owner).pk, {"role": "admin"})
    assert member(owner).role == Role.ADMIN
    # Now an admin: no more team management.
    assert post(client, "member_remove", member(operator).pk).status_code == 403


def test_owner_removes_a_member(client, owner, viewer, workspace):
    client.force_login(owner)
    html = post(client, "member_remove", member(viewer).pk).content.decode()
    assert "viewer@example.com was removed" in html
    assert not Membership.objects.filter(user=viewer).exists()
    assert AuditEntry.objects.filter(action="member.removed", target="viewer@example.com").exists()
    assert viewer.__class__.objects.filter(pk=viewer.pk).exists()  # the account stays


def test_owner_transfers_ownership(client, owner, operator):
    client.force_login(owner)
    html = post(client, "member_transfer", member(operator).pk).content.decode()
    assert "operator@example.com now owns" in html
    assert member(operator).role == Role.OWNER and member(owner).role == Role.ADMIN
    entry = AuditEntry.objects.get(action="workspace.ownership_transferred")
    assert entry.target == "operator@example.com" and entry.actor == owner


def test_resend_makes_a_new_link(client, owner, workspace):
    invitation = Invitation.objects.create(workspace=workspace, email="a@example.com")
    old = invitation.token
    client.force_login(owner)
    html = post(client, "invitation_resend", invitation.pk).content.decode()
    invitation.refresh_from_db()
    assert invitation.token != old and invitation.token in html
    assert client.get(reverse("dashboard:invitation", args=[old])).status_code == 404
    assert AuditEntry.objects.filter(action="member.invitation_resent").exists()
    post(client, "invitation_revoke", invitation.pk)
    assert not Invitation.objects.exists()
    assert AuditEntry.objects.filter(action="member.invitation_revoked").exists()


def test_the_page_offers_the_controls_to_owners_only(client, owner, operator, workspace):
    Invitation.objects.create(workspace=workspace, email="a@example.com")
    client.force_login(owner)
    html = client.get(reverse("dashboard:team")).content.decode()
    assert "Transfer ownership" in html and "Resend" in html and "only owner" in html
    client.force_login(operator)
    html = client.get(reverse("dashboard:team")).content.decode()
    assert "Transfer ownership" not in html and "resend-btn" not in html
    assert "Remove…" not in html


@pytest.mark.parametrize(
    "name,data",
    [("member_role", {"role": "viewer"}), ("member_remove", {}), ("member_transfer", {})],
)
def test_roles_and_ownership(client, owner, operator, outsider, name, data):
    target = member(owner).pk
    client.force_login(operator)
    assert client.post(reverse(f"dashboard:{name}", args=[target]), data).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse(f"dashboard:{name}", args=[target]), data).status_code == 404
    assert member(owner).role == Role.OWNER and member(operator).role == Role.OPERATOR


def test_resend_checks_ownership_and_role(client, operator, outsider, workspace):
    invitation = Invitation.objects.create(workspace=workspace, email="a@example.com")
    client.force_login(outsider)
    assert (
        client.post(reverse("dashboard:invitation_resend", args=[invitation.pk])).status_code == 404
    )
    client.force_login(operator)
    assert (
        client.post(reverse("dashboard:invitation_resend", args=[invitation.pk])).status_code == 403
    )
