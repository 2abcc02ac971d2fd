"""Tenant checks. Every view resolves the request's membership first; an object of another
workspace is a 404, never a 403. A forbidden action inside one's own workspace is a 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from integrations.models import Connection, Membership, Role, Workspace

SESSION_WORKSPACE = "workspace_id"


def current_membership(request: HttpRequest) -> Membership:
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    wanted = request.session.get(SESSION_WORKSPACE)
    membership = None
    if wanted:
        membership = memberships.filter(workspace_id=wanted).first()
    if membership is None:
        membership = memberships.order_by("created").first()
    if membership is None:
        # A user with no workspace (e.g. made with createsuperuser) gets their own.
        workspace = Workspace.objects.create(
            name=f"{request.user.email or request.user}'s workspace"
        )
        membership = Membership.objects.create(
            workspace=workspace, user=request.user, role=Role.OWNER
        )
    if request.session.get(SESSION_WORKSPACE) != membership.workspace_id:
        request.session[SESSION_WORKSPACE] = membership.workspace_id
    return membership


def workspace_view(permission: str = "view") -> Callable[..., Any]:
    """Log in, resolve request.membership / request.workspace, check the permission."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = current_membership(request)
            request.membership = membership  # type: ignore[attr-defined]
            request.workspace = membership.workspace  # type: ignore[attr-defined]
            if not membership.can(permission):
                raise PermissionDenied(f"your role ({membership.role}) may not do this")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_connection(request: HttpRequest, code: Any) -> Connection:
    return get_object_or_404(Connection, code=code, workspace=request.workspace)  # type: ignore[attr-defined]
