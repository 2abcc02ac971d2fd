"""The one chokepoint for outside HTTP.

Every call to an outside app passes `request()`: one session factory with timeouts, the
SSRF guard for user-given URLs, reading of rate-limit headers, classification of failures
into ConnectorError (transient or permanent), and a redacted record of the request and
response (for run steps). Tests patch nothing here: they talk to the sandbox over HTTP.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from integrations import metrics, ratelimit
from integrations.connectors.base import ConnectorError, ErrorKind

BODY_LIMIT = 4000
REDACTED = "[redacted]"
# Field names compared after lower-casing and dropping "_" and "-": access_token,
# accessToken (GHL v3 camelCase) and access-token are one name.
SECRET_NAMES = {
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "clientsecret",
    "secret",
    "password",
    "pwd",
    "sesskey",
    "oauthkey",
    "apikey",
    "token",
    "code",
    "authorization",
    "pit",
}
SECRET_HEADERS = {
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
}


def is_secret_field(name: str) -> bool:
    return re.sub(r"[_\-]", "", str(name)).lower() in SECRET_NAMES


USER_AGENT = "Syncdeck/0.1 (+self-hosted)"


@dataclass
class RateLimitInfo:
    limit: int | None = None
    remaining: int | None = None
    interval_ms: int | None = None
    daily_limit: int | None = None
    daily_remaining: int | None = None

    @classmethod
    def from_headers(cls, headers: Any) -> RateLimitInfo:
        def num(name: str) -> int | None:
            value = headers.get(name)
            try:
                return int(value) if value is not None else None
            except ValueError:
                return None

        return cls(
            limit=num("X-RateLimit-Max"),
            remaining=num("X-RateLimit-Remaining"),
            interval_ms=num("X-RateLimit-Interval-Milliseconds"),
            daily_limit=num("X-RateLimit-Limit-Daily"),
            daily_remaining=num("X-RateLimit-Daily-Remaining"),
        )


@dataclass
class CallRecord:
    """What a run step keeps of one call: redacted, truncated, timed."""

    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    duration_ms: int = 0
    error: str = ""


@dataclass
class HttpResponse:
    status: int
    headers: Any
    text: str
    record: CallRecord
    rate_limit: RateLimitInfo

    def json(self) -> Any:
        if not self.text:
            return None
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise ConnectorError(
                f"the app answered {self.status} with a body that is not JSON",
                permanent=False,
                status=self.status,
                record=self.record,
            ) from exc


# Calls made while a recorder is active are appended to it (the engine uses this to turn
# every outside call of a run into a RunStep).
_recorder: contextvars.ContextVar[list[CallRecord] | None] = contextvars.ContextVar(
    "syncdeck_http_recorder", default=None
)


@contextmanager
def recording() -> Iterator[list[CallRecord]]:
    records: list[CallRecord] = []
    token = _recorder.set(records)
    try:
        yield records
    finally:
        _recorder.reset(token)


def _remember(record: CallRecord) -> None:
    records = _recorder.get()
    if records is not None:
        records.append(record)


class _TimeoutAdapter(HTTPAdapter):
    def send(self, request, **kwargs):  # type: ignore[no-untyped-def, override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
        return super().send(request, **kwargs)


class _PinnedAdapter(_TimeoutAdapter):
    """Dials the address the SSRF guard vetted, never a second DNS answer (rebinding).

    `request()` stores that address on the prepared request. The pool is keyed by it, while
    the Host header (set by `request()`), TLS SNI and the certificate check keep the URL's
    host name. Proxies are not used: a proxy would resolve the name again.
    """

    def get_connection_with_tls_context(  # type: ignore[no-untyped-def, override]
        self, request, verify, proxies=None, cert=None
    ):
        address = getattr(request, PINNED_ATTRIBUTE, None)
        if not address:
            raise requests.exceptions.InvalidURL("a guarded request carries no vetted address")
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        hostname = host_params["host"]
        host_params["host"] = address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = hostname
            pool_kwargs["assert_hostname"] = hostname
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


PINNED_ATTRIBUTE = "syncdeck_pinned_address"


def new_session(session: requests.Session | None = None) -> requests.Session:
    """A requests session with our timeouts and user agent (also for OAuth2Session)."""
    session = session or requests.Session()
    adapter = _TimeoutAdapter(pool_connections=10, pool_maxsize=50)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


_local = threading.local()


def _shared_session() -> requests.Session:
    """One pooled session per thread (requests sessions are not thread-safe)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = new_session()
    return session


def _guarded_session() -> requests.Session:
    """One session per thread for user-given URLs: pinned addresses, no proxies from env."""
    session = getattr(_local, "guarded_session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        adapter = _PinnedAdapter(pool_connections=10, pool_maxsize=50)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        _local.guarded_session = session
    return session


# --- redaction -------------------------------------------------------------------------
def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if is_secret_field(k) else redact_value(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def redact_headers(headers: Any) -> dict[str, str]:
    return {
        k: (REDACTED if k.lower() in SECRET_HEADERS else str(v)) for k, v in dict(headers).items()
    }


def _body_text(body: Any, secrets: Iterable[str]) -> str:
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, dict | list):
        text = json.dumps(redact_value(body), default=str)
    else:
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        try:
            text = json.dumps(redact_value(json.loads(body)))
        except ValueError:
            text = _redact_form(str(body))
    text = redact_text(text, secrets)
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "… (truncated)"


def _redact_form(text: str) -> str:
    """Redact secret fields of an x-www-form-urlencoded body (a=1&refresh_token=…)."""
    if "=" not in text or any(c in text for c in " \n{<"):
        return text
    pairs = []
    for pair in text.split("&"):
        key, sep, value = pair.partition("=")
        pairs.append(f"{key}={REDACTED}" if sep and value and is_secret_field(key) else pair)
    return "&".join(pairs)


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    parts = urlsplit(url)
    if parts.query:
        pairs = []
        for pair in parts.query.split("&"):
            key, _, value = pair.partition("=")
            pairs.append(f"{key}={REDACTED}" if is_secret_field(key) and value else pair)
        url = parts._replace(query="&".join(pairs)).geturl()
    return redact_text(url, secrets)


def quote_segment(value: str) -> str:
    """Quote a value for use as one URL path segment."""
    return quote(value, safe="")


# --- SSRF guard ------------------------------------------------------------------------
def _address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global


def check_target(url: str) -> list[str]:
    """Refuse URLs that point into private networks unless settings allow it.

    Returns the vetted addresses (empty when private targets are allowed and nothing was
    resolved); a guarded request connects to the first of them and resolves nothing again.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConnectorError(f"not an http(s) URL: {url!r}", permanent=True)
    if settings.HTTP_ALLOW_PRIVATE_TARGETS:
        return []
    try:
        infos = socket.getaddrinfo(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            proto=socket.IPPROTO_TCP,
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectorError(f"cannot resolve {parts.hostname}", permanent=False) from exc
    addresses: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        # ::ffff:127.0.0.1 is loopback too; not every Python version says so.
        mapped = getattr(address, "ipv4_mapped", None)
        if not _address_allowed(address) or (mapped is not None and not _address_allowed(mapped)):
            raise ConnectorError(
                f"{parts.hostname} resolves to a private or loopback address ({address}); "
                "such targets are refused",
                permanent=True,
            )
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise ConnectorError(f"cannot resolve {parts.hostname}", permanent=False)
    return addresses


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


# --- classification --------------------------------------------------------------------
def retry_after_seconds(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    interval = headers.get("X-RateLimit-Interval-Milliseconds")
    if interval:
        try:
            return int(interval) / 1000
        except ValueError:
            return None
    return None


def error_message(text: str, status: int) -> str:
    """The app's own words, from GHL-style bodies ({message: str | [str]}) or plain text."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error")
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message)
        if isinstance(message, dict):
            message = message.get("message") or json.dumps(message)
        if message:
            return str(message)
    text = text.strip()
    return text[:300] if text else f"HTTP {status}"


def classify(response: HttpResponse) -> ConnectorError | None:
    status = response.status
    if status < 400:
        return None
    message = f"HTTP {status}: {error_message(response.text, status)}"
    if status == 401:
        return ConnectorError(message, permanent=True, kind=ErrorKind.AUTH, status=status)
    if status == 429:
        return ConnectorError(
            message,
            kind=ErrorKind.RATE_LIMITED,
            status=status,
            retry_after=retry_after_seconds(response.headers),
        )
    if status in (408, 425) or status >= 500:
        return ConnectorError(
            message,
            kind=ErrorKind.TRANSIENT,
            status=status,
            retry_after=retry_after_seconds(response.headers) if status == 503 else None,
        )
    if status in (400, 422):
        return ConnectorError(message, permanent=True, kind=ErrorKind.VALIDATION, status=status)
    return ConnectorError(message, permanent=True, kind=ErrorKind.PERMANENT, status=status)


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    json_body: Any = None,
    data: Any = None,
    secrets: Iterable[str] = (),
    guard: bool = False,
    raise_for_status: bool = True,
    timeout: tuple[float, float] | None = None,
    rate_key: str | None = None,
    rate: tuple[int, float] | None = None,
) -> HttpResponse:
    """Send one request; return the response or raise ConnectorError (already classified).

    With `rate_key` and `rate` (requests, per seconds) the call first takes a token from the
    shared budget (integrations.ratelimit) and the answer's rate-limit headers feed it back.
    """
    secrets = [s for s in secrets if s]
    session = _shared_session()
    prepared = session.prepare_request(
        requests.Request(
            method.upper(), url, headers=headers or {}, params=params, json=json_body, data=data
        )
    )
    if guard:
        addresses = check_target(prepared.url or url)
        if addresses:
            # Connect to the checked address: resolving again could answer otherwise.
            session = _guarded_session()
            setattr(prepared, PINNED_ATTRIBUTE, addresses[0])
            prepared.headers["Host"] = _host_header(prepared.url or url)
    app = metrics.app_of(rate_key)
    if rate_key and rate:
        waited = ratelimit.acquire(
            rate_key, rate=rate[0], per_seconds=rate[1], timeout=ratelimit.DEFAULT_MAX_WAIT
        )
        metrics.rate_waited(app, waited)
    record = CallRecord(
        method=method.upper(),
        url=redact_url(prepared.url or url, secrets),
        request_headers={
            k: redact_text(v, secrets) for k, v in redact_headers(prepared.headers).items()
        },
        request_body=_body_text(json_body if json_body is not None else data, secrets),
    )
    started = time.monotonic()
    try:
        raw = session.send(prepared, timeout=timeout, allow_redirects=False)
    except requests.Timeout as exc:
        record.duration_ms = int((time.monotonic() - started) * 1000)
        record.error = "timed out"
        _remember(record)
        metrics.call_made(app, None, time.monotonic() - started)
        raise ConnectorError(
            f"{urlsplit(url).hostname} did not answer in time",
            kind=ErrorKind.TRANSIENT,
            record=record,
        ) from exc
    except requests.RequestException as exc:
        record.duration_ms = int((time.monotonic() - started) * 1000)
        record.error = redact_text(type(exc).__name__ + ": " + str(exc), secrets)[:500]
        _remember(record)
        metrics.call_made(app, None, time.monotonic() - started)
        raise ConnectorError(
            f"cannot reach {urlsplit(url).hostname}: {type(exc).__name__}",
            kind=ErrorKind.TRANSIENT,
            record=record,
        ) from exc
    metrics.call_made(app, raw.status_code, time.monotonic() - started)
    record.duration_ms = int((time.monotonic() - started) * 1000)
    record.status = raw.status_code
    record.response_headers = redact_headers(raw.headers)
    record.response_body = _body_text(raw.text, secrets)
    _remember(record)
    response = HttpResponse(
        status=raw.status_code,
        headers=raw.headers,
        text=raw.text,
        record=record,
        rate_limit=RateLimitInfo.from_headers(raw.headers),
    )
    if rate_key and rate:
        ratelimit.observe(
            rate_key,
            response.rate_limit,
            status=raw.status_code,
            retry_after=retry_after_seconds(raw.headers) if raw.status_code == 429 else None,
            default_interval=rate[1],
        )
    if raise_for_status:
        error = classify(response)
        if error is not None:
            error.message = redact_text(error.message, secrets)
            error.args = (error.message,)
            error.record = record
            raise error
    return response
