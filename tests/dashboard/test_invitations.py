"""An invitation is bound to the address it was sent to."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from integrations import teams
from integrations.models import Invitation, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(workspace, owner):  # type: ignore[no-untyped-def]
    return teams.invite(workspace, owner, "New@Example.com", "operator")


def _signup(client, email: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-long-password-1", "password2": "a-long-password-1"},
    )


def test_it_refuses_another_user(client, invitation, outsider, workspace):
    client.force_login(outsider)
    page = client.get(reverse("dashboard:invitation", args=[invitation.token]))
    html = page.content.decode()
    assert "new@example.com" in html and "outsider@example.com" in html
    response = client.post(reverse("dashboard:invitation", args=[invitation.token]), follow=True)
    assert "new@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=outsider, workspace=workspace).exists()
    invitation.refresh_from_db()
    assert invitation.accepted is None


def test_it_refuses_in_the_domain_function(invitation, outsider, workspace):
    with pytest.raises(teams.WrongInvitee):
        teams.accept_invitation(invitation.token, outsider)
    assert not Membership.objects.filter(user=outsider, workspace=workspace).exists()


def test_it_lets_the_invited_user_accept(client, invitation, django_user_model, workspace):
    user = django_user_model.objects.create_user(
        username="new", email="NEW@example.com", password="x"
    )
    client.force_login(user)
    client.post(reverse("dashboard:invitation", args=[invitation.token]))
    assert Membership.objects.get(user=user, workspace=workspace).role == "operator"


def test_it_accepts_a_verified_secondary_address(client, invitation, django_user_model, workspace):
    user = django_user_model.objects.create_user(
        username="other", email="other@example.com", password="x"
    )
    EmailAddress.objects.create(user=user, email="new@example.com", verified=True)
    client.force_login(user)
    client.post(reverse("dashboard:invitation", args=[invitation.token]))
    assert Membership.objects.filter(user=user, workspace=workspace).exists()


def test_an_unverified_secondary_address_is_not_enough(invitation, django_user_model):
    user = django_user_model.objects.create_user(
        username="other", email="other@example.com", password="x"
    )
    EmailAddress.objects.create(user=user, email="new@example.com", verified=False)
    with pytest.raises(teams.WrongInvitee):
        teams.accept_invitation(invitation.token, user)


def test_signup_with_another_email_is_refused(client, invitation, workspace):
    client.get(reverse("dashboard:invitation", args=[invitation.token]))
    page = client.get(reverse("account_signup"))
    assert 'value="new@example.com"' in page.content.decode()
    response = _signup(client, "attacker@example.com")
    assert response.status_code == 200
    assert "new@example.com" in response.content.decode()
    assert not get_user_model().objects.filter(email="attacker@example.com").exists()
    assert not Membership.objects.filter(workspace=workspace, user__email="attacker@example.com")
    assert Invitation.objects.get(pk=invitation.pk).accepted is None


def test_signup_with_the_invited_email_joins(client, invitation, workspace):
    client.get(reverse("dashboard:invitation", args=[invitation.token]))
    response = _signup(client, "new@example.com")
    assert response.status_code == 302
    assert Membership.objects.get(user__email="new@example.com").workspace == workspace
