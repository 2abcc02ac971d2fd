from __future__ import annotations

from contextlib import suppress
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from integrations.models import Invitation

SESSION_INVITE = "invitation_token"


class AccountAdapter(DefaultAccountAdapter):
    """Self-signup is closed unless SIGNUP_OPEN; an invitation link opens it for one email."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if settings.SIGNUP_OPEN:
            return True
        token = request.session.get(SESSION_INVITE)
        return bool(
            token and Invitation.objects.filter(token=token, accepted__isnull=True).exists()
        )

    def _pending_invitation(self) -> Invitation | None:
        request = self.request
        if request is None or request.user.is_authenticated:
            return None  # e.g. adding an address to an existing account
        token = request.session.get(SESSION_INVITE)
        if not token:
            return None
        return Invitation.objects.filter(token=token, accepted__isnull=True).first()

    def clean_email(self, email: str) -> str:
        """Signing up through an invitation creates the invited address's account only."""
        email = super().clean_email(email)
        invitation = self._pending_invitation()
        if invitation is not None and email.strip().lower() != invitation.email.lower():
            raise ValidationError(
                f"This invitation was sent to {invitation.email}; sign up with that address."
            )
        return email

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit)
        token = request.session.pop(SESSION_INVITE, None)
        if token and commit:
            from integrations.teams import WrongInvitee, accept_invitation

            # clean_email refuses another address; such an account simply joins nothing.
            with suppress(WrongInvitee):
                accept_invitation(token, user)
        return user
