"""The HTTP chokepoint: redaction, truncation, classification, timeouts, SSRF guard,
recording. Real sockets only: a tiny local server and the GHL sandbox's fault injection.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations.connectors import http
from integrations.connectors.base import ConnectorError, ErrorKind

SECRET = "s3cr3t-token-value-123"


class Handler(BaseHTTPRequestHandler):
    """GET/POST /status/<code>?retry_after=…&sleep=…&body=… answers what it is told."""

    def log_message(self, *args):  # quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length).decode() if length else ""
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if "sleep" in query:
            time.sleep(float(query["sleep"]))
        status = int(parts.path.rsplit("/", 1)[-1]) if parts.path.startswith("/status/") else 200
        if query.get("body") == "echo":
            payload = received
        elif query.get("body") == "big":
            payload = json.dumps({"items": ["x" * 100] * 200})
        elif query.get("body") == "tokens":
            payload = json.dumps(
                {"access_token": SECRET, "refresh_token": SECRET + "r", "expires_in": 1}
            )
        elif status == 422:
            payload = json.dumps(
                {"statusCode": 422, "message": ["email must be an email"], "error": "x"}
            )
        else:
            payload = json.dumps({"statusCode": status, "message": f"told to answer {status}"})
        data = payload.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if "retry_after" in query:
                self.send_header("Retry-After", query["retry_after"])
            if "interval" in query:
                self.send_header("X-RateLimit-Interval-Milliseconds", query["interval"])
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture(scope="module")
def local():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --- redaction --------------------------------------------------------------------------


def test_authorization_header_and_secret_fields_are_redacted(local):
    body = {
        "name": "ok",
        "access_token": SECRET,
        "nested": {"refresh_token": "rt-abcdef", "client_secret": "cs-abcdef"},
        "list": [{"accessToken": "camel-abcdef"}],
    }
    with http.recording() as records:
        response = http.request(
            "POST",
            f"{local}/status/200?body=echo",
            headers={"Authorization": f"Bearer {SECRET}", "X-API-Key": "k-abcdef"},
            json_body=body,
        )
    assert response.json()["access_token"] == SECRET  # the caller still gets real data
    (record,) = records
    assert record.request_headers["Authorization"] == http.REDACTED
    assert record.request_headers["X-API-Key"] == http.REDACTED
    dumped = json.dumps(record.__dict__)
    for secret in (SECRET, "rt-abcdef", "cs-abcdef", "camel-abcdef", "k-abcdef"):
        assert secret not in dumped
    assert json.loads(record.request_body)["name"] == "ok"
    assert json.loads(record.response_body)["nested"]["refresh_token"] == http.REDACTED


def test_token_responses_and_form_bodies_are_redacted(local):
    with http.recording() as records:
        http.request(
            "POST",
            f"{local}/status/200?body=tokens",
            data={"grant_type": "refresh_token", "refresh_token": "rt-form-secret"},
        )
        http.request(
            "POST",
            f"{local}/status/200",
            data="grant_type=refresh_token&refresh_token=rt-raw-secret&client_id=abc",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    dumped = json.dumps([r.__dict__ for r in records])
    for secret in (SECRET, "rt-form-secret", "rt-raw-secret"):
        assert secret not in dumped
    assert "client_id=abc" in records[1].request_body
    assert "grant_type" in records[0].request_body


def test_secrets_passed_explicitly_never_reach_the_record(local):
    with http.recording() as records, pytest.raises(ConnectorError) as info:
        http.request(
            "GET",
            f"{local}/status/404?q={SECRET}&code=auth-code-1",
            secrets=[SECRET],
        )
    (record,) = records
    assert SECRET not in json.dumps(record.__dict__)
    assert "auth-code-1" not in record.url and "code=[redacted]" in record.url
    assert SECRET not in str(info.value)


def test_long_bodies_are_truncated(local):
    with http.recording() as records:
        response = http.request("GET", f"{local}/status/200?body=big")
    assert len(response.text) > http.BODY_LIMIT  # the caller gets everything
    assert records[0].response_body.endswith("… (truncated)")
    assert len(records[0].response_body) <= http.BODY_LIMIT + 20


# --- classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent", "kind"),
    [
        (500, False, ErrorKind.TRANSIENT),
        (502, False, ErrorKind.TRANSIENT),
        (503, False, ErrorKind.TRANSIENT),
        (429, False, ErrorKind.RATE_LIMITED),
        (400, True, ErrorKind.VALIDATION),
        (422, True, ErrorKind.VALIDATION),
        (401, True, ErrorKind.AUTH),
        (403, True, ErrorKind.PERMANENT),
        (404, True, ErrorKind.PERMANENT),
    ],
)
def test_classification(local, status, permanent, kind):
    with pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/{status}")
    error = info.value
    assert error.status == status
    assert error.permanent is permanent
    assert error.kind == kind
    assert error.record is not None and error.record.status == status
    assert str(status) in error.message


def test_422_message_array_is_joined(local):
    with pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/422")
    assert info.value.message == "HTTP 422: email must be an email"


def test_retry_after_seconds_date_and_rate_limit_interval(local):
    with pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/429?retry_after=7")
    assert info.value.retry_after == 7.0
    with pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/429?interval=2500")
    assert info.value.retry_after == 2.5
    with pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/503?retry_after=3")
    assert info.value.retry_after == 3.0 and not info.value.permanent


def test_raise_for_status_false_returns_the_response(local):
    response = http.request("GET", f"{local}/status/404", raise_for_status=False)
    assert response.status == 404 and response.json()["statusCode"] == 404


def test_timeout_is_transient(local):
    with http.recording() as records, pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/200?sleep=1.5", timeout=(1, 0.3))
    assert info.value.kind == ErrorKind.TRANSIENT and not info.value.permanent
    assert "did not answer in time" in info.value.message
    assert records[0].error == "timed out"


def test_default_read_timeout_comes_from_settings(local, settings):
    settings.HTTP_READ_TIMEOUT = 0.3
    with pytest.raises(ConnectorError) as info:
        http.request("GET", f"{local}/status/200?sleep=1.5")
    assert info.value.kind == ErrorKind.TRANSIENT


def test_unreachable_host_is_transient():
    with pytest.raises(ConnectorError) as info:
        http.request("GET", "http://127.0.0.1:9/")  # discard port: nothing listens
    assert info.value.kind == ErrorKind.TRANSIENT and not info.value.permanent


def test_sandbox_fault_injection_429_and_5xx(ghl, sandbox_base):
    requests.post(sandbox_base + "/_control/faults", json={"rate_429": 1}, timeout=10)
    try:
        with pytest.raises(ConnectorError) as info:
            ghl.call("get-contacts", limit=1)
        assert info.value.status == 429 and info.value.kind == ErrorKind.RATE_LIMITED
        assert info.value.retry_after == 1.0 and not info.value.permanent
        requests.post(
            sandbox_base + "/_control/faults", json={"rate_429": 0, "error_rate": 1}, timeout=10
        )
        with pytest.raises(ConnectorError) as info:
            ghl.call("get-contacts", limit=1)
        assert info.value.status in (500, 502, 503) and info.value.kind == ErrorKind.TRANSIENT
    finally:
        requests.post(
            sandbox_base + "/_control/faults", json={"rate_429": 0, "error_rate": 0}, timeout=10
        )
    assert ghl.call("get-contacts", limit=1)["contacts"]


def test_sandbox_rate_limit_headers_are_read(ghl, sandbox_base):
    with http.recording() as records:
        ghl.call("get-contacts", limit=1)
    info = http.RateLimitInfo.from_headers(records[0].response_headers)
    assert info.limit and info.remaining is not None and info.interval_ms


# --- SSRF guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/x",
        "http://10.1.2.3/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.0.1/",
    ],
)
def test_ssrf_guard_refuses_private_targets(settings, url):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    with http.recording() as records, pytest.raises(ConnectorError) as info:
        http.request("GET", url, guard=True)
    assert info.value.permanent and "refused" in info.value.message
    assert records == []  # nothing was sent


def test_ssrf_guard_allows_private_targets_when_settings_say_so(settings, local):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = True
    assert http.request("GET", f"{local}/status/200", guard=True).status == 200


def test_ssrf_guard_refuses_non_http_schemes(settings):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = True
    for url in ("file:///etc/passwd", "ftp://example.com/", "gopher://x/"):
        with pytest.raises(ConnectorError):
            http.check_target(url)


def test_redirects_are_not_followed(local):
    # a 3xx is returned as is (a redirect to a private address cannot bypass the guard)
    response = http.request("GET", f"{local}/status/302", raise_for_status=False)
    assert response.status == 302


def test_recording_collects_only_inside_the_block(local):
    http.request("GET", f"{local}/status/200")
    with http.recording() as records:
        http.request("GET", f"{local}/status/200")
        with pytest.raises(ConnectorError):
            http.request("GET", f"{local}/status/500")
    http.request("GET", f"{local}/status/200")
    assert [r.status for r in records] == [200, 500]
    assert all(r.duration_ms >= 0 and r.method == "GET" for r in records)
