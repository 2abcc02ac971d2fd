"""The admin logs in through allauth only, so its rate limits and 2FA guard it too."""

from __future__ import annotations

import secrets

import pytest
from django.test import Client

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _client() -> Client:
    # A fresh documentation address per test: the rate limits live in the cache (Redis in
    # CI, shared by the test processes), so nothing here may throttle anyone else.
    return Client(REMOTE_ADDR=f"198.51.100.{secrets.randbelow(250) + 1}")


@pytest.fixture
def staff(django_user_model):  # type: ignore[no-untyped-def]
    user = make_user(django_user_model, f"staff-{secrets.token_hex(4)}@example.com")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _password(user) -> str:  # type: ignore[no-untyped-def]
    return "pw-" + user.email


def test_admin_login_form_does_not_authenticate(staff):
    client = _client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.username, "password": _password(staff)}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_25_wrong_passwords_then_the_right_one_do_not_log_in_on_admin_login(staff):
    client = _client()
    for _ in range(25):
        client.post("/admin/login/", {"username": staff.username, "password": "wrong"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.username, "password": _password(staff)}
    )
    assert "_auth_user_id" not in client.session
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code == 302


def test_the_login_admin_sends_to_is_throttled_after_25_wrong_passwords(staff):
    client = _client()
    login_url = client.get("/admin/login/?next=/admin/").headers["Location"]
    for _ in range(25):
        client.post(login_url, {"login": staff.email, "password": "wrong"})
    response = client.post(login_url, {"login": staff.email, "password": _password(staff)})
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content
    assert client.get("/admin/").status_code == 302  # still sent to log in


def test_staff_reaches_admin_through_allauth(staff):
    client = _client()
    login_url = client.get("/admin/login/?next=/admin/").headers["Location"]
    response = client.post(login_url, {"login": staff.email, "password": _password(staff)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Logged in already: the admin's login page sends staff on.
    assert client.get("/admin/login/?next=/admin/").headers["Location"] == "/admin/"


def test_staff_cannot_post_passwords_to_it_either(staff, django_user_model):
    other = make_user(django_user_model, f"other-{secrets.token_hex(4)}@example.com")
    other.is_staff = True
    other.save()
    client = _client()
    client.force_login(staff)
    response = client.post(
        "/admin/login/", {"username": other.username, "password": _password(other)}
    )
    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_non_staff_gets_403_not_a_login_loop(django_user_model):
    user = make_user(django_user_model, f"plain-{secrets.token_hex(4)}@example.com")
    client = _client()
    client.force_login(user)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_it_never_sends_staff_offsite(staff):
    client = _client()
    login_url = client.get("/admin/login/?next=https://evil.example/").headers["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    response = client.post(
        login_url, {"login": staff.email, "password": _password(staff)}, follow=True
    )
    assert response.redirect_chain
    assert all("evil.example" not in url.split("?")[0] for url, _ in response.redirect_chain)
    assert response.request["PATH_INFO"].startswith("/admin/")
