from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db


def test_signup_is_closed_without_invitation(client):
    response = client.get(reverse("account_signup"))
    assert b"Sign Up Closed" in response.content or response.status_code in (302, 403)
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_owner_invites_and_invitee_signs_up(client, owner, workspace):
    client.force_login(owner)
    response = client.post(
        reverse("dashboard:team"), {"email": "New@Example.com", "role": "operator"}, follow=True
    )
    invitation = Invitation.objects.get()
    assert invitation.email == "new@example.com"
    assert invitation.token in response.content.decode()  # the link to send
    client.logout()
    response = client.get(reverse("dashboard:invitation", args=[invitation.token]))
    assert response.status_code == 302
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    assert response.status_code == 302, response.content[:500]
    membership = Membership.objects.get(user__email="new@example.com")
    assert membership.workspace == workspace and membership.role == Role.OPERATOR
    invitation.refresh_from_db()
    assert invitation.accepted is not None
    # The link is spent.
    client.logout()
    assert client.get(reverse("dashboard:invitation", args=[invitation.token])).status_code == 404


def test_only_owner_may_invite(client, operator):
    client.force_login(operator)
    response = client.post(reverse("dashboard:team"), {"email": "x@example.com", "role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_revoke_checks_ownership(client, owner, outsider, workspace):
    invitation = Invitation.objects.create(workspace=workspace, email="a@example.com")
    client.force_login(outsider)
    assert (
        client.post(reverse("dashboard:invitation_revoke", args=[invitation.pk])).status_code == 404
    )
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_team_page_lists_members(client, owner, viewer):
    client.force_login(viewer)
    html = client.get(reverse("dashboard:team")).content.decode()
    assert "owner@example.com" in html and "viewer@example.com" in html
    assert "Invite a teammate" not in html


def test_user_without_workspace_gets_one(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="solo", email="solo@example.com", password="x"
    )
    client.force_login(user)
    assert client.get(reverse("dashboard:connections")).status_code == 200
    assert Membership.objects.get(user=user).role == Role.OWNER


def test_switch_workspace_only_to_own(client, owner, outsider):
    other = Membership.objects.get(user=outsider).workspace
    client.force_login(owner)
    client.post(reverse("dashboard:switch_workspace"), {"workspace": other.pk})
    html = client.get(reverse("dashboard:connections")).content.decode()
    assert "Acme Agency" in html and "Other Co" not in html
