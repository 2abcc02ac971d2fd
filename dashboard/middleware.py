"""A workspace may require two-factor authentication of its members (Workspace.require_mfa):
a member without an authenticator is sent to set one up before any other page."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from integrations.models import Membership

# Setting up the authenticator, logging out, reauthenticating and the rest of the account
# pages stay reachable, as do static files and what is not a person's page.
EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/webhooks/",
    "/sandbox/",
    "/healthz",
    "/readyz",
    "/metrics",
)


def requires_mfa_setup(user: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if not Membership.objects.filter(user=user, workspace__require_mfa=True).exists():
        return False
    return not is_mfa_enabled(user, [Authenticator.Type.TOTP])


class RequireMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(EXEMPT_PREFIXES) and requires_mfa_setup(request.user):
            url = reverse("mfa_activate_totp")
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            messages.info(
                request,
                "Your workspace requires two-factor authentication: set up an authenticator "
                "app to continue.",
            )
            return redirect(url)
        return self.get_response(request)
