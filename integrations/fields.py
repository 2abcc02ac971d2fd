"""Model fields."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.db import models

from integrations import crypto


class EncryptedTextField(models.TextField):
    """Text stored Fernet-encrypted (rotatable keys), read back as plain text.

    For values that are secrets or carry one, such as a Slack incoming-webhook URL. Not
    searchable: the ciphertext differs on every save.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        try:
            return crypto.decrypt_text(value)
        except InvalidToken:
            return value  # written before the field was encrypted

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return crypto.encrypt_text(value) if value else value
