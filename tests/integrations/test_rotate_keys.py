"""manage.py rotate_keys: every stored secret re-encrypted with the newest key."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db.models import TextField
from django.db.models.functions import Cast

from integrations import crypto
from integrations.models import AlertRule, Connection, Notification

pytestmark = pytest.mark.django_db

KEY1, KEY2, KEY3 = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def use_keys(settings):  # type: ignore[no-untyped-def]
    def use(*keys: str) -> None:
        settings.SYNCDECK_ENCRYPTION_KEYS = list(keys)
        crypto.reset_keys_cache()

    yield use
    crypto.reset_keys_cache()


def raw(model, field: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Stored values as they are in the database (the field would decrypt them)."""
    rows = model.objects.annotate(_raw=Cast(field, TextField())).values_list("pk", "_raw")
    return dict(rows)


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def secrets(workspace, use_keys):  # type: ignore[no-untyped-def]
    """One connection, one alert rule and one notification, encrypted with KEY1."""
    use_keys(KEY1)
    connection = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc")
    connection.credentials = {"pit": "pit-secret-value"}
    connection.save()
    rule = AlertRule.objects.create(
        workspace=workspace,
        kind=AlertRule.Kind.RUN_FAILED,
        channel=AlertRule.Channel.SLACK,
        target="https://hooks.slack.com/services/T000/B000/secret",
    )
    notification = Notification.objects.create(
        workspace=workspace, rule=rule, channel="slack", target=rule.target, subject="s", body="b"
    )
    return connection, rule, notification


def assert_readable(connection, rule, notification) -> None:  # type: ignore[no-untyped-def]
    assert Connection.objects.get(pk=connection.pk).credentials == {"pit": "pit-secret-value"}
    expected = "https://hooks.slack.com/services/T000/B000/secret"
    assert AlertRule.objects.get(pk=rule.pk).target == expected
    assert Notification.objects.get(pk=notification.pk).target == expected


def test_rotation_lets_the_old_key_be_retired(secrets, use_keys):
    use_keys(KEY2)  # without rotating, the old key cannot be dropped
    with pytest.raises(crypto.DecryptionError):
        Connection.objects.get(pk=secrets[0].pk).credentials  # noqa: B018
    assert AlertRule.objects.get(pk=secrets[1].pk).target != secrets[1].target

    use_keys(KEY2, KEY1)
    output = rotate()
    assert "integrations.Connection.credentials_encrypted: 1 rotated" in output
    assert "integrations.AlertRule.target: 1 rotated" in output
    assert "integrations.Notification.target: 1 rotated" in output

    use_keys(KEY2)
    assert_readable(*secrets)


def test_it_is_idempotent(secrets, use_keys):
    use_keys(KEY2, KEY1)
    rotate()
    before = raw(Connection, "credentials_encrypted"), raw(AlertRule, "target")
    output = rotate()
    assert "0 rotated" in output and "1 already current" in output
    assert (raw(Connection, "credentials_encrypted"), raw(AlertRule, "target")) == before


def test_dry_run_changes_nothing(secrets, use_keys):
    use_keys(KEY2, KEY1)
    before = raw(Connection, "credentials_encrypted"), raw(AlertRule, "target")
    output = rotate("--dry-run")
    assert "integrations.AlertRule.target: 1 rotated" in output and "dry run" in output
    assert (raw(Connection, "credentials_encrypted"), raw(AlertRule, "target")) == before
    use_keys(KEY2)
    with pytest.raises(crypto.DecryptionError):
        Connection.objects.get(pk=secrets[0].pk).credentials  # noqa: B018


def test_it_fails_without_the_old_key_and_changes_nothing(secrets, use_keys):
    use_keys(KEY2)
    before = raw(Connection, "credentials_encrypted"), raw(AlertRule, "target")
    with pytest.raises(CommandError) as failure:
        rotate()
    message = str(failure.value)
    assert f"integrations.Connection.credentials_encrypted pk={secrets[0].pk}" in message
    assert f"integrations.AlertRule.target pk={secrets[1].pk}" in message
    assert (raw(Connection, "credentials_encrypted"), raw(AlertRule, "target")) == before


def test_an_unreadable_row_is_listed_and_the_rest_rotated(secrets, workspace, use_keys):
    connection, rule, notification = secrets
    use_keys(KEY3)
    stray = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc2")
    stray.credentials = {"pit": "under-a-lost-key"}
    stray.save()
    stray_raw = raw(Connection, "credentials_encrypted")[stray.pk]

    use_keys(KEY2, KEY1)
    with pytest.raises(CommandError, match=f"Connection.credentials_encrypted pk={stray.pk}"):
        rotate()
    assert raw(Connection, "credentials_encrypted")[stray.pk] == stray_raw
    use_keys(KEY2)
    assert_readable(connection, rule, notification)


def test_plain_text_left_from_before_encryption_is_encrypted(workspace, use_keys):
    use_keys(KEY1)
    rule = AlertRule.objects.create(workspace=workspace, kind=AlertRule.Kind.RUN_FAILED, target="x")
    AlertRule.objects.filter(pk=rule.pk).update(target=Cast("kind", TextField()))
    assert raw(AlertRule, "target")[rule.pk] == AlertRule.Kind.RUN_FAILED

    use_keys(KEY2, KEY1)
    assert "integrations.AlertRule.target: 0 rotated, 0 already current, 1 encrypted" in rotate()
    assert crypto.looks_encrypted(raw(AlertRule, "target")[rule.pk])
    use_keys(KEY2)
    assert AlertRule.objects.get(pk=rule.pk).target == AlertRule.Kind.RUN_FAILED


def test_batches_cover_every_row(workspace, use_keys):
    use_keys(KEY1)
    for n in range(7):
        AlertRule.objects.create(
            workspace=workspace, kind=AlertRule.Kind.RUN_FAILED, target=f"ops{n}@example.com"
        )
    use_keys(KEY2, KEY1)
    assert "integrations.AlertRule.target: 7 rotated" in rotate("--batch-size", "3")
    use_keys(KEY2)
    assert sorted(AlertRule.objects.values_list("target", flat=True)) == [
        f"ops{n}@example.com" for n in range(7)
    ]
