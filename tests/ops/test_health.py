"""/healthz and /readyz: no login, nothing secret, and readiness failing for real reasons."""

from __future__ import annotations

import time

import pytest

from config.celery import app as celery_app
from integrations import health, tasks

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_database_broker_and_heartbeat_are(client):
    tasks.beat_heartbeat()  # what a worker does when beat sends it
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {"database", "broker", "scheduler"} <= set(body["checks"])


def test_readyz_fails_without_a_recent_heartbeat(client):
    health.stamp_heartbeat(time.time() - 3600)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["ok"] is False
    health.stamp_heartbeat(None)


def test_readyz_fails_when_the_broker_is_down(client, monkeypatch):
    tasks.beat_heartbeat()
    # A real connection attempt to a port nothing listens on.
    down = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("CELERY_BROKER_URL", down)  # Celery reads it before its settings
    monkeypatch.setitem(celery_app.conf, "broker_url", down)
    monkeypatch.setitem(celery_app.conf, "broker_transport", None)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503, body
    assert body["checks"]["broker"]["ok"] is False
    assert "127.0.0.1" not in str(body)  # names and verdicts only


def test_readyz_says_nothing_secret(client, settings):
    tasks.beat_heartbeat()
    text = client.get("/readyz").content.decode()
    assert settings.SECRET_KEY not in text
    assert "password" not in text.lower()
