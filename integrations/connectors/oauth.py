"""OAuth 2.0 authorization-code flow with requests-oauthlib, through our HTTP session.

Token endpoints answer errors in the app's own shape (GHL: {"statusCode":400,"message":…});
a compliance hook turns any non-2xx into a ConnectorError before oauthlib parses it.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind

# Apps may grant fewer (or other) scopes than requested; we record what was granted.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")


def _allow_http_if_local(url: str) -> None:
    # oauthlib refuses plain http; the demo's sandbox runs on http://127.0.0.1.
    if urlsplit(url).scheme == "http" and settings.HTTP_ALLOW_PRIVATE_TARGETS:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def _raise_for_error(response: requests.Response) -> requests.Response:
    if response.status_code >= 400:
        message = http.error_message(response.text, response.status_code)
        kind = ErrorKind.TRANSIENT if response.status_code >= 500 else ErrorKind.AUTH
        raise ConnectorError(
            f"token endpoint answered {response.status_code}: {message}",
            permanent=response.status_code < 500 and response.status_code != 429,
            kind=ErrorKind.RATE_LIMITED if response.status_code == 429 else kind,
            status=response.status_code,
        )
    return response


def session(
    client_id: str, *, redirect_uri: str | None = None, scope: list[str] | None = None
) -> OAuth2Session:
    oauth = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope)
    http.new_session(oauth)
    oauth.register_compliance_hook("access_token_response", _raise_for_error)
    oauth.register_compliance_hook("refresh_token_response", _raise_for_error)
    return oauth


def authorization_url(
    authorize_url: str,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    state: str,
    **extra: str,
) -> str:
    _allow_http_if_local(authorize_url)
    url, _ = session(client_id, redirect_uri=redirect_uri, scope=scopes).authorization_url(
        authorize_url, state=state, **extra
    )
    return url


@sensitive_variables()
def _token_call(func: Any, token_url: str, **kwargs: Any) -> dict[str, Any]:
    _allow_http_if_local(token_url)
    try:
        return dict(func(token_url, **kwargs))
    except ConnectorError:
        raise
    except OAuth2Error as exc:
        raise ConnectorError(
            f"token endpoint refused: {exc.description or exc.error}",
            permanent=True,
            kind=ErrorKind.AUTH,
        ) from exc
    except requests.Timeout as exc:
        raise ConnectorError("token endpoint did not answer in time") from exc
    except requests.RequestException as exc:
        raise ConnectorError(f"cannot reach the token endpoint: {type(exc).__name__}") from exc
    except ValueError as exc:  # oauthlib: missing access_token, bad JSON …
        raise ConnectorError(
            f"token endpoint answered something unexpected: {exc}", kind=ErrorKind.AUTH
        ) from exc


@sensitive_variables()
def exchange_code(
    token_url: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    **extra: str,
) -> dict[str, Any]:
    oauth = session(client_id, redirect_uri=redirect_uri)
    return _token_call(
        oauth.fetch_token,
        token_url,
        code=code,
        client_secret=client_secret,
        include_client_id=True,
        **extra,
    )


@sensitive_variables()
def refresh_token(
    token_url: str,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    **extra: str,
) -> dict[str, Any]:
    oauth = session(client_id)
    return _token_call(
        oauth.refresh_token,
        token_url,
        refresh_token=refresh_token,
        client_id=client_id,
        client_secret=client_secret,
        **extra,
    )
