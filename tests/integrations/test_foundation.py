from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations import crypto
from integrations.models import Connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(settings):
    crypto.reset_keys_cache()
    yield settings
    crypto.reset_keys_cache()


def test_credentials_are_encrypted_at_rest(workspace, keys):
    c = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc")
    c.credentials = {"pit": "pit-secret-value"}
    c.save()
    raw = Connection.objects.values_list("credentials_encrypted", flat=True).get()
    assert "pit-secret-value" not in raw
    assert Connection.objects.get().credentials == {"pit": "pit-secret-value"}


def test_keys_rotate(workspace, keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys.SYNCDECK_ENCRYPTION_KEYS = [old]
    crypto.reset_keys_cache()
    token = crypto.encrypt_json({"a": 1})
    keys.SYNCDECK_ENCRYPTION_KEYS = [new, old]
    crypto.reset_keys_cache()
    assert crypto.decrypt_json(token) == {"a": 1}
    rotated = crypto.rotate(token)
    keys.SYNCDECK_ENCRYPTION_KEYS = [new]
    crypto.reset_keys_cache()
    assert crypto.decrypt_json(rotated) == {"a": 1}
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(token)


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


def test_seed_demo_is_idempotent(settings, django_user_model):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    user = django_user_model.objects.get(email="demo@example.com")
    assert user.check_password("demo")
    assert user.memberships.count() == 1


def test_periodic_refresh_queues_expiring_connections(workspace, settings, monkeypatch):
    from integrations import tasks

    queued = []
    monkeypatch.setattr(tasks.refresh_connection, "delay", lambda pk: queued.append(pk))
    soon = Connection(
        workspace=workspace,
        kind="ghl",
        auth_method="oauth2",
        account_id="a",
        expires_at=timezone.now() + timedelta(seconds=60),
    )
    soon.credentials = {}
    soon.save()
    later = Connection(
        workspace=workspace,
        kind="ghl",
        auth_method="oauth2",
        account_id="b",
        expires_at=timezone.now() + timedelta(hours=20),
    )
    later.credentials = {}
    later.save()
    pit = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="c")
    pit.credentials = {}
    pit.save()
    assert tasks.refresh_expiring_connections() == 1
    assert queued == [soon.pk]
