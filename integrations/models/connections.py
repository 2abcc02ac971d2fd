from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from integrations import crypto
from integrations.connectors.registry import kind_choices
from integrations.fields import EncryptedTextField

if TYPE_CHECKING:
    from integrations.connectors.base import Connector


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_REAUTH = "needs_reauth", "Needs re-auth"
    FAILING = "failing", "Failing"
    DISABLED = "disabled", "Disabled"


class Environment(models.TextChoices):
    LIVE = "live", "Live"
    SANDBOX = "sandbox", "Sandbox"


class AuthMethod(models.TextChoices):
    OAUTH2 = "oauth2", "OAuth 2.0"
    PIT = "pit", "Private Integration Token"
    API_KEY = "api_key", "API key"
    SHARED_SECRET = "shared_secret", "Shared secret"
    SESSION_KEY = "session_key", "Session key"
    LOGIN = "login", "Login and app key"
    APP_SECRET = "app_secret", "App ID and secret"
    FEED = "feed", "Calendar feed"


class Connection(models.Model):
    """Credentials for one account of one app, and how healthy they are."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "integrations.Workspace", models.CASCADE, related_name="connections"
    )
    kind = models.CharField(max_length=32, choices=kind_choices)
    label = models.CharField(max_length=120, blank=True)
    auth_method = models.CharField(max_length=16, choices=AuthMethod.choices)
    # Fernet ciphertext of a JSON dict; read and write through `credentials`.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    # Non-secret settings of the connector (e.g. a REST app's base URL and paths).
    config = models.JSONField(default=dict, blank=True)
    # The token of the inbound webhook URL (/webhooks/in/<token>/), kept encrypted so the
    # UI can show the URL, and found by its SHA-256: the database never holds it in clear.
    inbound_token = EncryptedTextField(blank=True, default="", editable=False)
    inbound_token_digest = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    scopes_requested = models.JSONField(default=list, blank=True)
    scopes_granted = models.JSONField(default=list, blank=True)
    account_id = models.CharField(max_length=100, blank=True, db_index=True)
    account_name = models.CharField(max_length=200, blank=True)
    company_id = models.CharField(max_length=100, blank=True)
    environment = models.CharField(
        max_length=8, choices=Environment.choices, default=Environment.LIVE
    )
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Circuit breaker: consecutive failures and, when open, until when calls are held.
    breaker_failures = models.PositiveIntegerField(default=0)
    breaker_open_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} {self.account_id}".strip()

    # --- credentials ----------------------------------------------------------------
    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(value)

    # --- inbound webhook token --------------------------------------------------------
    @staticmethod
    def inbound_token_digest_of(token: str) -> str:
        # A plain hash is enough: the token is 24+ random bytes, not a password.
        return hashlib.sha256(token.encode()).hexdigest()

    def set_inbound_token(self, token: str) -> None:
        self.inbound_token = token
        self.inbound_token_digest = self.inbound_token_digest_of(token) if token else ""

    # --- behaviour ------------------------------------------------------------------
    @property
    def connector(self) -> Connector:
        from integrations.connectors.registry import connector_class

        return connector_class(self.kind)(self)

    @property
    def expires_in(self) -> timedelta | None:
        if self.expires_at is None:
            return None
        return self.expires_at - timezone.now()

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now() + timedelta(
            seconds=seconds
        )

    @property
    def missing_scopes(self) -> list[str]:
        granted = set(self.scopes_granted)
        return [scope for scope in self.scopes_requested if scope not in granted]

    def mark_checked(self, ok: bool, message: str) -> None:
        now = timezone.now()
        self.last_checked_at = now
        self.last_check_ok = ok
        self.last_check_message = message[:500]
        fields = ["last_checked_at", "last_check_ok", "last_check_message", "updated"]
        if ok:
            if self.status == ConnectionStatus.FAILING:
                self.status = ConnectionStatus.ACTIVE
                fields.append("status")
        else:
            self.last_error = message[:500]
            self.last_error_at = now
            fields += ["last_error", "last_error_at"]
        self.save(update_fields=fields)

    def mark_needs_reauth(self, reason: str) -> None:
        self.status = ConnectionStatus.NEEDS_REAUTH
        self.last_error = reason[:500]
        self.last_error_at = timezone.now()
        self.save(update_fields=["status", "last_error", "last_error_at", "updated"])

    def mark_failing(self, reason: str) -> None:
        if self.status == ConnectionStatus.ACTIVE:
            self.status = ConnectionStatus.FAILING
        self.last_error = reason[:500]
        self.last_error_at = timezone.now()
        self.save(update_fields=["status", "last_error", "last_error_at", "updated"])
