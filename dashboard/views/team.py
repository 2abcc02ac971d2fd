from __future__ import annotations

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard.access import current_membership, workspace_view
from dashboard.adapters import SESSION_INVITE
from dashboard.forms import InviteForm, MemberRoleForm, RequireMfaForm, SwitchWorkspaceForm
from integrations import teams
from integrations.models import Invitation, Membership, Role


@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can("manage_team"):  # type: ignore[attr-defined]
            return HttpResponse("Only owners may invite teammates.", status=403)
        if form.is_valid():
            invitation = teams.invite(
                workspace, request.user, form.cleaned_data["email"], form.cleaned_data["role"]
            )
            link = request.build_absolute_uri(
                reverse("dashboard:invitation", args=[invitation.token])
            )
            messages.success(
                request, f"Invitation created for {invitation.email}. Send them this link: {link}"
            )
            return redirect("dashboard:team")
    members = (
        Membership.objects.filter(workspace=workspace).select_related("user").order_by("created")
    )
    invitations = Invitation.objects.filter(workspace=workspace, accepted__isnull=True)
    mfa_user_ids = set(
        Authenticator.objects.filter(
            user__memberships__workspace=workspace, type=Authenticator.Type.TOTP
        ).values_list("user_id", flat=True)
    )
    return render(
        request,
        "dashboard/team.html",
        {
            "members": members,
            "invitations": invitations,
            "form": form,
            "title": "Team",
            "mfa_user_ids": mfa_user_ids,
            "roles": Role.choices,
            "owners": sum(1 for m in members if m.role == Role.OWNER),
        },
    )


@require_POST
@workspace_view("manage_team")
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, workspace=request.workspace)  # type: ignore[attr-defined]
    teams.revoke_invitation(invitation, request.user)
    messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("dashboard:team")


@require_POST
@workspace_view("manage_team")
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation,
        pk=pk,
        workspace=request.workspace,  # type: ignore[attr-defined]
        accepted__isnull=True,
    )
    teams.resend_invitation(invitation, request.user)
    link = request.build_absolute_uri(reverse("dashboard:invitation", args=[invitation.token]))
    messages.success(
        request,
        f"New link for {invitation.email}, valid 7 days (the old one no longer works): {link}",
    )
    return redirect("dashboard:team")


def _member(request: HttpRequest, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "workspace"),
        pk=pk,
        workspace=request.workspace,  # type: ignore[attr-defined]
    )


@require_POST
@workspace_view("manage_team")
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose one of the roles.", status=400)
    try:
        if teams.change_role(member, request.user, form.cleaned_data["role"]):
            member.refresh_from_db()
            messages.success(request, f"{member.user.email} is now {member.get_role_display()}.")
    except teams.TeamRefused as exc:
        messages.error(request, str(exc))
    return redirect("dashboard:team")


@require_POST
@workspace_view("manage_team")
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        teams.remove_member(member, request.user)
    except teams.TeamRefused as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:team")
    messages.success(request, f"{member.user.email} was removed from {member.workspace}.")
    if member.user_id == request.user.pk:
        request.session.pop("workspace_id", None)
        return redirect("dashboard:home")
    return redirect("dashboard:team")


@require_POST
@workspace_view("manage_team")
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        teams.transfer_ownership(request.membership, member)  # type: ignore[attr-defined]
    except teams.TeamRefused as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:team")
    messages.success(request, f"{member.user.email} now owns {member.workspace}; you are an admin.")
    return redirect("dashboard:team")


@require_POST
@workspace_view("manage_team")
def require_mfa(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = RequireMfaForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Invalid form.", status=400)
    required = form.cleaned_data["require_mfa"]
    # The owner sets it up first, so turning the requirement on locks nobody out by surprise.
    if required and not is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
        messages.error(request, "Set up two-factor authentication for your own account first.")
        return redirect("dashboard:team")
    if teams.set_require_mfa(workspace, request.user, required):
        messages.success(
            request,
            "Two-factor authentication is now required of every member."
            if required
            else "Two-factor authentication is no longer required.",
        )
    return redirect("dashboard:team")


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invite = Invitation.objects.filter(token=token).select_related("workspace").first()
    if invite is None or not invite.usable:
        return render(
            request,
            "dashboard/invitation.html",
            {"invalid": True, "title": "Invitation"},
            status=404,
        )
    if request.user.is_authenticated:
        context = {"invite": invite, "title": "Invitation"}
        if not teams.is_invitee(invite, request.user):
            # Bound to the invited address: another account cannot take the seat.
            context["wrong_user"] = True
            return render(request, "dashboard/invitation.html", context, status=403)
        if request.method == "POST":
            try:
                membership = teams.accept_invitation(token, request.user)
            except teams.WrongInvitee as exc:
                messages.error(request, str(exc))
                membership = None
            if membership is not None:
                request.session["workspace_id"] = membership.workspace_id
                messages.success(request, f"You joined {membership.workspace}.")
            return redirect("dashboard:home")
        return render(request, "dashboard/invitation.html", context)
    request.session[SESSION_INVITE] = token
    # Pre-fills the signup form; the adapter refuses any other address.
    get_account_adapter(request).stash_verified_email(request, invite.email)
    if get_user_model().objects.filter(email__iexact=invite.email).exists():
        messages.info(request, "Log in to accept the invitation.")
        return redirect(reverse("account_login") + "?next=" + request.path)
    return redirect("account_signup")


@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        form = SwitchWorkspaceForm(request.user, request.POST)
        if not form.is_valid():
            return HttpResponse("Choose a workspace you are a member of.", status=400)
        request.session["workspace_id"] = form.cleaned_data["workspace"]
        current_membership(request)
    return redirect("dashboard:home")
