"""Two-factor authentication (allauth.mfa): set up, log in with a TOTP code or a recovery
code, and a workspace whose owner requires it sends members to set it up first."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from integrations.models import AuditEntry, Membership, Role

pytestmark = pytest.mark.django_db

SETUP_URL = "/accounts/2fa/totp/activate/"


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 over the 30-second counter, dynamically truncated to 6 digits."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _client() -> Client:
    # Its own address: allauth's rate limits live in the cache, shared in CI.
    return Client(REMOTE_ADDR=f"203.0.113.{secrets.randbelow(250) + 1}")


def _password_login(client: Client, user) -> object:  # type: ignore[no-untyped-def]
    return client.post(
        reverse("account_login"), {"login": user.email, "password": "pw-" + user.email}
    )


def _open_setup(client: Client, user) -> str:  # type: ignore[no-untyped-def]
    """GET the TOTP setup page, reauthenticating with the password as allauth asks;
    returns the secret it shows."""
    response = client.get(SETUP_URL)
    if response.status_code == 302 and "/reauthenticate/" in response["Location"]:
        client.post(response["Location"], {"password": "pw-" + user.email})
        response = client.get(SETUP_URL)
    assert response.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in response.content.decode()  # shown next to the QR code
    return secret


def _give_totp(user) -> str:  # type: ignore[no-untyped-def]
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def test_rfc6238_helper_matches_the_published_vector():
    # RFC 6238 appendix B, SHA1, T = 59 s: 94287082 (8 digits) → last 6 digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, at=59) == "287082"


def test_totp_set_up_and_login_end_to_end(owner):
    client = _client()
    assert _password_login(client, owner).status_code == 302
    secret = _open_setup(client, owner)
    response = client.post(SETUP_URL, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it.
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.RECOVERY_CODES).exists()
    client.post(reverse("account_logout"))

    client = _client()
    response = _password_login(client, owner)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_a_recovery_code_logs_in_once(owner):
    _give_totp(owner)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(owner).get_unused_codes()[0]
    client = _client()
    _password_login(client, owner)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    client.post(reverse("account_logout"))
    _password_login(client, owner)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert "_auth_user_id" not in client.session


def test_the_dashboard_links_to_two_factor_settings(client, owner):
    client.force_login(owner)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert 'href="/accounts/2fa/"' in page
    assert client.get("/accounts/2fa/").status_code == 200


def test_owner_requires_mfa_after_setting_it_up_and_it_is_audited(client, owner, workspace):
    client.force_login(owner)
    url = reverse("dashboard:team_require_mfa")
    response = client.post(url, {"require_mfa": "on"}, follow=True)
    assert b"for your own account first" in response.content
    workspace.refresh_from_db()
    assert not workspace.require_mfa

    _give_totp(owner)
    client.post(url, {"require_mfa": "on"})
    workspace.refresh_from_db()
    assert workspace.require_mfa
    entry = AuditEntry.objects.get(workspace=workspace, action="workspace.mfa_required")
    assert entry.actor == owner
    page = client.get(reverse("dashboard:team")).content.decode()
    assert "Stop requiring two-factor authentication" in page

    client.post(url, {})
    workspace.refresh_from_db()
    assert not workspace.require_mfa
    assert AuditEntry.objects.filter(action="workspace.mfa_optional").count() == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR, Role.VIEWER])
def test_only_owners_may_require_mfa(client, workspace, django_user_model, role):
    from tests.conftest import make_user

    user = make_user(django_user_model, f"{role}@example.com")
    Membership.objects.create(workspace=workspace, user=user, role=role)
    _give_totp(user)
    client.force_login(user)
    response = client.post(reverse("dashboard:team_require_mfa"), {"require_mfa": "on"})
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert not workspace.require_mfa
    assert "Require two-factor" not in client.get(reverse("dashboard:team")).content.decode()


def test_it_checks_ownership(client, outsider, owner, workspace):
    _give_totp(outsider)
    client.force_login(outsider)
    client.post(reverse("dashboard:team_require_mfa"), {"require_mfa": "on"})
    workspace.refresh_from_db()
    assert not workspace.require_mfa  # only the outsider's own workspace changed
    assert Membership.objects.get(user=outsider).workspace.require_mfa


def test_a_member_without_an_authenticator_is_sent_to_set_one_up(client, operator, workspace):
    workspace.require_mfa = True
    workspace.save()
    client.force_login(operator)
    for url in [reverse("dashboard:home"), reverse("dashboard:runs"), reverse("dashboard:team")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == SETUP_URL
    response = client.get(reverse("dashboard:runs"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == SETUP_URL
    # The way out stays open: the 2FA pages (after reauthenticating) and logging out.
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get(SETUP_URL).status_code in (200, 302)
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_member_with_an_authenticator_gets_in(client, operator, workspace):
    workspace.require_mfa = True
    workspace.save()
    _give_totp(operator)
    client.force_login(operator)
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_nothing_is_required_by_default(client, operator):
    client.force_login(operator)
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_setting_up_totp_after_the_redirect_lets_the_member_in(operator, workspace):
    workspace.require_mfa = True
    workspace.save()
    client = _client()
    _password_login(client, operator)
    assert client.get(reverse("dashboard:home"))["Location"] == SETUP_URL
    secret = _open_setup(client, operator)
    client.post(SETUP_URL, {"code": totp_code(secret)})
    assert client.get(reverse("dashboard:home")).status_code == 200
