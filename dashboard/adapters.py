from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
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

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit)
        token = request.session.pop(SESSION_INVITE, None)
        if token and commit:
            from integrations.teams import accept_invitation

            accept_invitation(token, user)
        return user
