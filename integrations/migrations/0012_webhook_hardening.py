"""The inbound webhook token leaves `config` (plain JSON) for an encrypted column, looked
up by its SHA-256."""

import hashlib

from django.db import migrations, models

import integrations.fields


def encrypt_inbound_tokens(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    for conn in Connection.objects.filter(config__has_key="inbound_token").iterator():
        token = str(conn.config.pop("inbound_token") or "")
        if token and not conn.inbound_token:
            conn.inbound_token = token
            conn.inbound_token_digest = hashlib.sha256(token.encode()).hexdigest()
        conn.save(update_fields=["config", "inbound_token", "inbound_token_digest"])


def decrypt_inbound_tokens(apps, schema_editor):
    Connection = apps.get_model("integrations", "Connection")
    for conn in Connection.objects.exclude(inbound_token_digest="").iterator():
        conn.config = {**(conn.config or {}), "inbound_token": conn.inbound_token}
        conn.inbound_token = ""
        conn.inbound_token_digest = ""
        conn.save(update_fields=["config", "inbound_token", "inbound_token_digest"])


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0011_workspace_require_mfa"),
    ]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="inbound_token",
            field=integrations.fields.EncryptedTextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="connection",
            name="inbound_token_digest",
            field=models.CharField(
                blank=True, db_index=True, default="", editable=False, max_length=64
            ),
        ),
        migrations.RunPython(encrypt_inbound_tokens, decrypt_inbound_tokens),
    ]
