"""A minimal stand-in for "Your App" in the throughput bench: it answers at once.

The throughput figures must measure Syncdeck, not a simulator; this answers the two calls
a GHL → Your App contact run makes (find by email, then create; or update) with the
smallest valid bodies, in its own process, and counts what it got (`GET /_stats`).
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counts: dict[str, int] = {}
    emails: dict[str, int] = {}
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return {}

    def _count(self, key: str) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_stats":
            with self.lock:
                self._send(200, {"counts": self.counts, "duplicates": self._duplicates()})
            return
        self._count("GET")
        query = parse_qs(parts.query)
        self._send(200, {"data": [], "page": 1, "per_page": int(query.get("per_page", ["50"])[0])})

    def _duplicates(self) -> int:
        return sum(n - 1 for n in self.emails.values() if n > 1)

    def do_POST(self) -> None:
        body = self._body()
        self._count("POST")
        with self.lock:
            email = str(body.get("email") or "")
            if email:
                self.emails[email] = self.emails.get(email, 0) + 1
        self._send(201, {**body, "id": "ya_" + uuid.uuid4().hex[:12]})

    def do_PATCH(self) -> None:
        body = self._body()
        self._count("PATCH")
        self._send(200, {**body, "id": urlsplit(self.path).path.rsplit("/", 1)[-1]})

    do_PUT = do_PATCH


def _serve(port: int) -> None:
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    server.serve_forever()


def start(port: int) -> multiprocessing.Process:
    process = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    process.start()
    return process
