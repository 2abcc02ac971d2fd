"""Connecting to HighLevel and keeping the connection's tokens fresh: OAuth's code
exchange, Private Integration Tokens, and refresh under a lock shared by every worker
(GHL's refresh tokens are single-use). A mixin of GHLConnector."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from integrations.connectors import oauth
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.locks import LockTimeout, named_lock


class GHLAuth:
    # Supplied by GHLConnector.
    connection: Any

    def authorization_url(self, state: str, scopes: list[str]) -> str:
        return oauth.authorization_url(
            settings.GHL_AUTHORIZE_URL,
            client_id=settings.GHL_CLIENT_ID,
            redirect_uri=settings.GHL_REDIRECT_URI,
            scopes=scopes,
            state=state,
        )

    @sensitive_variables()
    def complete_authorization(self, code: str) -> None:
        token = oauth.exchange_code(
            settings.GHL_TOKEN_URL,
            client_id=settings.GHL_CLIENT_ID,
            client_secret=settings.GHL_CLIENT_SECRET,
            redirect_uri=settings.GHL_REDIRECT_URI,
            code=code,
            user_type="Location",
        )
        if not token.get("locationId"):
            raise ConnectorError(
                "HighLevel returned a company (agency) token; choose a sub-account location",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        conn = self.connection
        conn.auth_method = "oauth2"
        conn.environment = self.environment()
        conn.account_id = token["locationId"]
        conn.company_id = token.get("companyId") or ""
        self._store_token(token)
        conn.account_name = self.fetch_location_name() or conn.account_name

    @sensitive_variables()
    def connect_with_pit(self, token: str, location_id: str) -> None:
        conn = self.connection
        conn.auth_method = "pit"
        conn.environment = self.environment()
        conn.account_id = location_id
        conn.credentials = {"pit": token}
        conn.expires_at = None
        conn.account_name = self.fetch_location_name() or conn.account_name

    @sensitive_variables()
    def _store_token(self, token: dict[str, Any]) -> None:
        conn = self.connection
        conn.credentials = {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token", ""),
            "user_id": token.get("userId", ""),
        }
        scope = token.get("scope")
        if isinstance(scope, list):
            conn.scopes_granted = list(scope)
        elif scope:
            conn.scopes_granted = scope.split()
        expires_in = int(token.get("expires_in") or 86399)
        conn.expires_at = timezone.now() + timedelta(seconds=expires_in)
        conn.last_refreshed_at = timezone.now()

    def _secrets(self) -> list[str]:
        creds = self.connection.credentials
        return [creds.get("access_token", ""), creds.get("refresh_token", ""), creds.get("pit", "")]

    def access_token(self) -> str:
        creds = self.connection.credentials
        return creds.get("pit") or creds.get("access_token", "")

    @sensitive_variables()
    def refresh(self, *, force: bool = False) -> None:
        """Refresh the access token under a lock: GHL refresh tokens are single-use.

        Whoever gets the lock second re-reads the connection and finds the work done.
        `force` refreshes even before expiry (after a 401), unless another worker already
        replaced the token we were using.
        """
        conn = self.connection
        if conn.auth_method != "oauth2":
            raise ConnectorError(
                "a Private Integration Token cannot be refreshed; rotate it in HighLevel "
                "(Settings → Private Integrations) and update the connection",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        if conn.pk is None:
            raise ConnectorError(
                "cannot refresh a connection that is not saved",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        seen_token = self.access_token()
        try:
            with named_lock(f"ghl-refresh:{conn.pk}", timeout=60, wait=45):
                self._refresh_locked(seen_token, force)
        except LockTimeout as exc:
            raise ConnectorError(
                "another worker is still refreshing the HighLevel token; try again shortly",
                kind=ErrorKind.TRANSIENT,
                retry_after=5,
            ) from exc

    def _refresh_locked(self, seen_token: str, force: bool) -> None:
        conn = self.connection
        conn.refresh_from_db()
        margin = settings.GHL_REFRESH_MARGIN_SECONDS
        if self.access_token() != seen_token:
            return  # another worker refreshed while we waited
        if not force and not conn.expires_within(margin):
            return
        refresh_token = conn.credentials.get("refresh_token")
        if not refresh_token:
            self._needs_reauth("no refresh token stored; reconnect HighLevel")
            raise ConnectorError("no refresh token", permanent=True, kind=ErrorKind.AUTH)
        try:
            token = oauth.refresh_token(
                settings.GHL_TOKEN_URL,
                client_id=settings.GHL_CLIENT_ID,
                client_secret=settings.GHL_CLIENT_SECRET,
                refresh_token=refresh_token,
                user_type="Location",
            )
        except ConnectorError as exc:
            if exc.permanent:
                self._needs_reauth(f"token refresh refused: {exc.message}")
            raise
        self._store_token(token)
        conn.save(
            update_fields=[
                "credentials_encrypted",
                "scopes_granted",
                "expires_at",
                "last_refreshed_at",
                "updated",
            ]
        )

    def _needs_reauth(self, reason: str) -> None:
        """Mark the connection; an unsaved one (being tested before saving) only in memory."""
        conn = self.connection
        if conn.pk is None:
            conn.status = "needs_reauth"
            conn.last_error = reason[:500]
            conn.last_error_at = timezone.now()
            return
        conn.mark_needs_reauth(reason)

    def ensure_fresh(self) -> None:
        conn = self.connection
        if conn.auth_method == "oauth2" and conn.expires_within(
            settings.GHL_REFRESH_MARGIN_SECONDS
        ):
            self.refresh()

    # --- calling ---------------------------------------------------------------------
