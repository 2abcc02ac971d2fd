"""Re-encrypt every stored secret with the newest key, so an old key can be retired.

Put the new key first in SYNCDECK_ENCRYPTION_KEYS (keeping the old ones after it), run
`manage.py rotate_keys`, then drop the old keys. The secrets are found generically: every
EncryptedTextField of every model, and every text column named `*_encrypted` (a Fernet
token read through a property, such as Connection.credentials_encrypted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from integrations import crypto
from integrations.fields import EncryptedTextField

RAW = "_rotate_keys_raw"


@dataclass
class Column:
    model: type[models.Model]
    field: models.Field  # type: ignore[type-arg]
    # EncryptedTextField reads plain text written before it was encrypted: encrypt that.
    plain_text_allowed: bool
    rotated: int = 0
    current: int = 0
    encrypted: int = 0
    unreadable: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def encrypted_columns() -> list[Column]:
    columns = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                columns.append(Column(model, model_field, plain_text_allowed=True))
            elif isinstance(model_field, models.TextField | models.CharField) and (
                model_field.name.endswith("_encrypted")
            ):
                columns.append(Column(model, model_field, plain_text_allowed=False))
    return columns


def rotate_column(column: Column, *, batch_size: int, dry_run: bool) -> None:
    """Rotate one column in batches, each in its own transaction with its rows locked."""
    model, name = column.model, column.field.attname
    pk_name = model._meta.pk.name
    # Cast: read the stored text as is (the field itself would decrypt it).
    rows = (
        model._base_manager.annotate(**{RAW: Cast(name, TextField())})
        .exclude(**{f"{name}__isnull": True})
        .only(pk_name)
        .order_by(pk_name)
    )
    last = None
    while True:
        with transaction.atomic():
            batch_rows = rows if last is None else rows.filter(pk__gt=last)
            batch = list(batch_rows.select_for_update()[:batch_size])
            if not batch:
                return
            last = batch[-1].pk
            changed = []
            for obj in batch:
                new = _rotated(column, obj.pk, getattr(obj, RAW) or "")
                if new is not None:
                    # An expression, so the field does not encrypt the token a second time.
                    setattr(obj, name, Value(new, output_field=TextField()))
                    changed.append(obj)
            if changed and not dry_run:
                model._base_manager.bulk_update(changed, [name])


def _rotated(column: Column, pk: Any, value: str) -> str | None:
    """The value to store instead, or None to leave the row alone (and count why)."""
    if not value:
        return None
    if crypto.looks_encrypted(value):
        if crypto.encrypted_with_newest_key(value):
            column.current += 1
            return None
        try:
            new = crypto.rotate(value)
        except crypto.DecryptionError:
            column.unreadable.append(pk)
            return None
        column.rotated += 1
        return new
    if column.plain_text_allowed:
        column.encrypted += 1
        return crypto.encrypt_text(value)
    column.unreadable.append(pk)
    return None


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the newest key (first of SYNCDECK_ENCRYPTION_KEYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change, write nothing"
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(
        self, *args: Any, dry_run: bool = False, batch_size: int = 500, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        crypto.reset_keys_cache()  # the keys configured now, not those of an earlier call
        columns = encrypted_columns()
        for column in columns:
            rotate_column(column, batch_size=batch_size, dry_run=dry_run)
            self.stdout.write(
                f"{column.label}: {column.rotated} rotated, {column.current} already current, "
                f"{column.encrypted} encrypted from plain text, "
                f"{len(column.unreadable)} unreadable"
            )
        if dry_run:
            self.stdout.write("dry run: nothing was written")
        unreadable = [f"{column.label} pk={pk}" for column in columns for pk in column.unreadable]
        if unreadable:
            raise CommandError(
                "these values cannot be decrypted with any configured key and were left "
                "unchanged (add the key they were written with, then run again): "
                + ", ".join(unreadable)
            )
