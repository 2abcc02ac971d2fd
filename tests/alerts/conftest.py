"""Alerts fixtures: a workspace with a flow and a connection, a tiny local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from integrations import tasks
from integrations.models import (
    AlertRule,
    Connection,
    Flow,
    Integration,
    Run,
    RunStatus,
    TriggerKind,
)


@dataclass
class Receiver:
    """What the local endpoint got, and what it answers."""

    url: str
    status: int = 200
    answer: bytes = b"ok"
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            box.received.append(
                {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(raw or b"null"),
                }
            )
            self.send_response(box.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(box.answer)))
            self.end_headers()
            self.wfile.write(box.answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def connection(workspace) -> Connection:  # type: ignore[no-untyped-def]
    connection = Connection(
        workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1", label="GHL Main"
    )
    connection.credentials = {"pit": "x" * 20}
    connection.save()
    return connection


@pytest.fixture
def flow(workspace, connection) -> Flow:  # type: ignore[no-untyped-def]
    integration = Integration.objects.create(workspace=workspace, name="GHL → CRM")
    return Flow.objects.create(
        integration=integration,
        name="contacts",
        source=connection,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_config={"events": ["ContactUpdate"]},
    )


def make_run(flow: Flow, status: str = RunStatus.FAILED, **fields: Any) -> Run:
    now = timezone.now()
    defaults: dict[str, Any] = {
        "attempt": 3,
        "record_id": "c-1",
        "record_label": "Ada <ada@example.com>",
        "finished_at": now,
        "started_at": now,
    }
    if status == RunStatus.FAILED:
        defaults.update(error_kind="transient", error="HighLevel timed out after 10 s")
    defaults.update(fields)
    return Run.objects.create(
        workspace=flow.integration.workspace, flow=flow, status=status, **defaults
    )


def make_rule(workspace, kind: str = AlertRule.Kind.RUN_FAILED, **fields: Any) -> AlertRule:  # type: ignore[no-untyped-def]
    fields.setdefault("channel", AlertRule.Channel.EMAIL)
    fields.setdefault("target", "ops@example.com")
    return AlertRule.objects.create(workspace=workspace, kind=kind, **fields)


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Run the periodic task as beat would, deliveries included (eager Celery)."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.evaluate_alerts()

    return run
