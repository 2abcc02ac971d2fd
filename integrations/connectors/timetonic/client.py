"""TimeTonic's one endpoint: `POST <base>/live/api.php`, form-encoded, `req=<function>`.

Every answer says `"status": "ok"|"nok"` with `errorCode`/`errorMsg`, and a `nok` comes back
with HTTP 200, so HTTP 200 is not success (FACTS.md §2; TimeTonic's API doc at
https://timetonic.com/live/api.php?doc). `sort_nok` turns a nok into our error kinds;
`RpcMixin.rpc` adds the session (o_u, u_c, sesskey) and mints a new sesskey from the stored
oauthkey once when the session is refused (sesskeys expire or are dropped).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from django.views.decorators.debug import sensitive_variables

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind

if TYPE_CHECKING:
    from integrations.models import Connection

DEFAULT_BASE_URL = "https://timetonic.com"
ENDPOINT = "/live/api.php"
VERSION = "6.49q/6.49"  # what TimeTonic's own n8n node sends
# Functions that need no session.
PUBLIC = {"createAppkey", "createOauthkey", "createSesskey"}

# Codes seen for a refused session; the message is checked too (the public docs list no
# codes, so a refused session is also recognised by its words).
AUTH_CODES = {"invalidSesskey", "sessionExpired", "invalidSession", "noSession"}
AUTH_WORDS = re.compile(r"sesskey|session", re.I)
LOGIN_CODES = {"wrongLoginPwd", "invalidOauthkey", "invalidAppkey", "accessDenied"}
VALIDATION_CODES = {
    "fieldNotFound",
    "invalidValue",
    "invalidParam",
    "missingParam",
    "invalidFilter",
}
NOT_FOUND_CODES = {"rowNotFound", "tableNotFound", "bookNotFound"}
# Official clients retry a write whose error mentions a MySQL deadlock.
DEADLOCK = re.compile(r"deadlock", re.I)


class SessionRefused(ConnectorError):
    """TimeTonic refused the sesskey (expired, dropped or wrong)."""


def sort_nok(req: str, body: dict[str, Any], record: http.CallRecord | None) -> ConnectorError:
    code = str(body.get("errorCode") or "")
    message = str(body.get("errorMsg") or body.get("errorMessage") or "no message")[:300]
    text = f"TimeTonic {req}: {message}" + (f" ({code})" if code else "")
    if DEADLOCK.search(message) or DEADLOCK.search(code):
        return ConnectorError(text, kind=ErrorKind.TRANSIENT, record=record)
    if code in AUTH_CODES or (code not in LOGIN_CODES and AUTH_WORDS.search(message)):
        return SessionRefused(text, permanent=True, kind=ErrorKind.AUTH, record=record)
    if code in LOGIN_CODES:
        return ConnectorError(text, permanent=True, kind=ErrorKind.AUTH, record=record)
    if code in VALIDATION_CODES:
        return ConnectorError(text, permanent=True, kind=ErrorKind.VALIDATION, record=record)
    if code in NOT_FOUND_CODES:
        return ConnectorError(text, permanent=True, status=404, record=record)
    return ConnectorError(
        f"TimeTonic {req} answered nok with an error code Syncdeck does not know "
        f"({code or 'none'}): {message}",
        permanent=True,
        kind=ErrorKind.PERMANENT,
        record=record,
    )


class RpcMixin:
    connection: Connection

    @property
    def base_url(self) -> str:
        config = self.connection.config or {}
        return str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")

    def _secrets(self) -> list[str]:
        creds = self.connection.credentials
        return [str(creds[k]) for k in ("sesskey", "oauthkey", "webhook_secret") if creds.get(k)]

    @sensitive_variables()
    def _post(self, req: str, params: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
        data = {
            "req": req,
            "version": VERSION,
            **{k: v for k, v in params.items() if v is not None},
        }
        response = http.request(
            "POST",
            self.base_url + ENDPOINT,
            data=data,
            headers={"Accept": "application/json"},
            secrets=secrets,
            guard=True,
        )
        body = response.json()
        if not isinstance(body, dict) or body.get("status") not in ("ok", "nok"):
            raise ConnectorError(
                f"TimeTonic {req} answered without an ok/nok status",
                kind=ErrorKind.TRANSIENT,
                record=response.record,
            )
        if body["status"] == "nok":
            raise sort_nok(req, body, response.record)
        return body

    @sensitive_variables()
    def rpc(self, req: str, *, write: bool = False, **params: Any) -> dict[str, Any]:
        """Call one function with the connection's session; the `ok` body, or ConnectorError.

        A refused session is re-minted once from the oauthkey (when we have one); a second
        refusal, or none to re-mint with, marks the connection "needs re-auth". A deadlock
        on a write is tried once more, as TimeTonic's own clients do.
        """
        if req in PUBLIC:
            return self._post(req, params, [str(v) for v in params.values() if v] + self._secrets())
        for attempt in (1, 2):
            creds = self.connection.credentials
            o_u = str(creds.get("o_u") or "")
            session = {
                "o_u": o_u,
                "u_c": str(creds.get("u_c") or o_u),
                "sesskey": creds.get("sesskey"),
            }
            try:
                return self._post(req, {**session, **params}, self._secrets())
            except SessionRefused as exc:
                reason = f"{exc.message}, again with a new sesskey"
                if attempt == 1 and not (reason := self._remint(exc)):
                    continue
                self._needs_reauth(reason)
                raise SessionRefused(
                    reason, permanent=True, kind=ErrorKind.AUTH, record=exc.record
                ) from exc
            except ConnectorError as exc:
                if attempt == 2 or not write or exc.kind != ErrorKind.TRANSIENT:
                    raise
                if not DEADLOCK.search(exc.message):
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    @sensitive_variables()
    def _remint(self, refused: ConnectorError) -> str:
        """A new sesskey from the stored oauthkey: "" when minted, else why not (there is
        no oauthkey, or TimeTonic refuses it too) — the caller marks "needs re-auth"."""
        conn = self.connection
        creds = conn.credentials
        if not creds.get("oauthkey"):
            return f"{refused.message}; paste a new sesskey to reconnect"
        try:
            body = self._post(
                "createSesskey",
                {"o_u": creds.get("o_u"), "u_c": creds.get("o_u"), "oauthkey": creds["oauthkey"]},
                self._secrets(),
            )
        except ConnectorError as exc:
            return f"TimeTonic refused to mint a new sesskey: {exc.message}"
        sesskey = str(body.get("sesskey") or "")
        if not sesskey:
            return "TimeTonic minted no sesskey"
        conn.credentials = {**creds, "sesskey": sesskey}
        if conn.pk:
            type(conn).objects.filter(pk=conn.pk).update(
                credentials_encrypted=conn.credentials_encrypted
            )
        return ""

    def _needs_reauth(self, reason: str) -> None:
        if self.connection.pk:
            self.connection.mark_needs_reauth(reason)
