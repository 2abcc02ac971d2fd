"""SSRF by DNS rebinding: a guarded request connects to the address the guard checked.

The name is resolved once, by the guard; the connection goes to that address while the Host
header, TLS SNI and certificate check keep the URL's host name.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations.connectors import http
from integrations.connectors.base import ConnectorError

PUBLIC = "93.184.216.34"  # a global address; nothing here ever connects to it


class _Server:
    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.hits: list[tuple[str, str | None]] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append((self.path, self.headers.get("Host")))
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    with _Server() as running:
        yield running


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """socket.getaddrinfo with a script per test host name and a count of lookups."""
    real = socket.getaddrinfo
    state: dict[str, Any] = {"answers": {}, "lookups": []}

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        answers = state["answers"].get(host)
        if answers is None:
            return real(host, port, *args, **kwargs)
        state["lookups"].append(host)
        address = answers[min(len(state["lookups"]), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return state


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address urllib3 opens a socket to; the fake public address refuses."""
    real = urllib3.util.connection.create_connection
    seen: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        seen.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError("test: the public address does not answer here")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return seen


def test_it_does_not_follow_a_rebound_name_to_loopback(settings, server, resolver, connects):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    # Public when the guard looks, loopback when the connection would look again.
    resolver["answers"]["rebind.test"] = [PUBLIC, "127.0.0.1"]
    with pytest.raises(ConnectorError):
        http.request("GET", f"http://rebind.test:{server.port}/admin", guard=True)
    assert server.hits == []
    assert connects == [PUBLIC]
    assert resolver["lookups"] == ["rebind.test"]


def test_a_guarded_request_to_an_allowed_address_works(
    settings, monkeypatch, server, resolver, connects
):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    # Let the guard accept loopback for this test, so the pinned path runs over real HTTP.
    monkeypatch.setattr(http, "_address_allowed", lambda address: True)
    resolver["answers"]["app.test"] = ["127.0.0.1"]
    response = http.request(
        "GET", f"http://app.test:{server.port}/hello", params={"x": "1"}, guard=True
    )
    assert response.status == 200 and response.json() == {"ok": True}
    assert server.hits == [("/hello?x=1", f"app.test:{server.port}")]
    assert connects == ["127.0.0.1"]
    assert resolver["lookups"] == ["app.test"]  # resolved once, by the guard


def test_the_guard_still_refuses_a_private_answer(settings, server, resolver, connects):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    resolver["answers"]["inside.test"] = ["10.0.0.7"]
    with pytest.raises(ConnectorError, match="private or loopback"):
        http.request("GET", f"http://inside.test:{server.port}/", guard=True)
    assert connects == [] and server.hits == []


def test_an_ipv4_mapped_loopback_is_refused(settings):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ConnectorError, match="private or loopback"):
        http.check_target("http://[::ffff:127.0.0.1]:8000/")


def _self_signed(hostname: str, tmp_path: Any) -> tuple[ssl.SSLContext, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)


def test_https_keeps_sni_and_the_certificate_check_on_the_host_name(
    settings, monkeypatch, resolver, connects, tmp_path
):
    """The certificate names secure.test only (no IP): it verifies although we dial an IP."""
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(http, "_address_allowed", lambda address: True)
    resolver["answers"]["secure.test"] = ["127.0.0.1"]
    tls, ca_file = _self_signed("secure.test", tmp_path)
    sni: list[str | None] = []
    tls.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment]
    monkeypatch.setattr(http._guarded_session(), "verify", ca_file)
    with _Server(tls) as running:
        response = http.request("GET", f"https://secure.test:{running.port}/x", guard=True)
        assert response.status == 200
        assert running.hits == [("/x", f"secure.test:{running.port}")]
    assert sni == ["secure.test"] and connects == ["127.0.0.1"]


def test_https_with_a_certificate_for_another_name_fails(
    settings, monkeypatch, resolver, connects, tmp_path
):
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(http, "_address_allowed", lambda address: True)
    resolver["answers"]["victim.test"] = ["127.0.0.1"]
    tls, ca_file = _self_signed("attacker.test", tmp_path)
    monkeypatch.setattr(http._guarded_session(), "verify", ca_file)
    with _Server(tls) as running, pytest.raises(ConnectorError):
        http.request("GET", f"https://victim.test:{running.port}/x", guard=True)
    assert running.hits == []
