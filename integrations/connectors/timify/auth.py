"""TIMIFY access: App ID + App Secret → an access token (`POST /v1/auth/token`), kept
encrypted in the connection's credentials and minted again on a 401, under a lock shared
by every worker (like GHL's refresh): whoever gets the lock second finds a new token and
uses it. A second 401, or a refused App Secret, marks the connection "needs re-auth".
A mixin of TimifyConnector.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.locks import LockTimeout, named_lock

BASE_URLS = {
    "production": "https://api.timify.com",
    "staging": "https://api-stg.timify.com",
}


class TimifyAuth:
    connection: Any  # supplied by TimifyConnector

    @property
    def base_url(self) -> str:
        config = self.connection.config or {}
        return str(config.get("base_url") or BASE_URLS["production"]).rstrip("/")

    @property
    def guarded(self) -> bool:
        """Another base URL is user-given: it passes the SSRF guard (TIMIFY's own do not)."""
        return (self.connection.config or {}).get("server") not in BASE_URLS

    def _secrets(self) -> list[str]:
        creds = self.connection.credentials
        return [str(creds.get(k) or "") for k in ("app_secret", "access_token", "webhook_secret")]

    @sensitive_variables()
    def mint_token(self) -> str:
        """Ask TIMIFY for a token; store it on the (maybe unsaved) connection."""
        conn = self.connection
        creds = conn.credentials
        body = {"appid": creds.get("app_id", ""), "appsecret": creds.get("app_secret", "")}
        try:
            response = http.request(
                "POST",
                self.base_url + "/v1/auth/token",
                headers={"Accept": "application/json"},
                json_body=body,
                secrets=self._secrets(),
                guard=self.guarded,
            )
        except ConnectorError as exc:
            if exc.status in (400, 401, 403):
                exc.kind = ErrorKind.AUTH
                exc.message = (
                    f"TIMIFY refused the App ID and App Secret ({exc.message}); check them in "
                    "the TIMIFY Developer Platform (a rotated secret stops working at once)"
                )
                exc.args = (exc.message,)
            raise
        data = response.json() if response.text else {}
        token = ""
        if isinstance(data, dict):
            token = str(data.get("accessToken") or data.get("token") or "")
        if not token:
            raise ConnectorError(
                "TIMIFY answered the token request without an accessToken",
                permanent=True,
                kind=ErrorKind.AUTH,
            )
        conn.credentials = {**creds, "access_token": token}
        conn.last_refreshed_at = timezone.now()
        return token

    def access_token(self) -> str:
        return str(self.connection.credentials.get("access_token") or "")

    def ensure_token(self) -> str:
        return self.access_token() or self.renew_token(seen="")

    def renew_token(self, *, seen: str) -> str:
        """A new token, unless another worker replaced `seen` while we waited for the lock."""
        conn = self.connection
        if conn.pk is None:  # being connected: nobody else can hold this connection
            return self.mint_token()
        try:
            with named_lock(f"timify-token:{conn.pk}", timeout=60, wait=45):
                conn.refresh_from_db()
                current = self.access_token()
                if current and current != seen:
                    return current
                try:
                    token = self.mint_token()
                except ConnectorError as exc:
                    if exc.kind == ErrorKind.AUTH:
                        conn.mark_needs_reauth(exc.message)
                    raise
                conn.save(update_fields=["credentials_encrypted", "last_refreshed_at", "updated"])
                return token
        except LockTimeout as exc:
            raise ConnectorError(
                "another worker is still getting a TIMIFY token; try again shortly",
                kind=ErrorKind.TRANSIENT,
                retry_after=5,
            ) from exc

    def _needs_reauth(self, reason: str) -> None:
        conn = self.connection
        if conn.pk is None:
            conn.status = "needs_reauth"
            conn.last_error = reason[:500]
            return
        conn.mark_needs_reauth(reason)
