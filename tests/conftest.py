"""Shared fixtures: the cast of users, the GHL sandbox served over real HTTP, CI checks.

Under CI=true the suite must run on PostgreSQL and Redis: a missing service fails the run
(it is never skipped).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command

from integrations.models import Membership, Role, Workspace

IN_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    if not IN_CI:
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("CI=true but DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL or not _reachable(settings.REDIS_URL, 6379):
        problems.append("CI=true but REDIS_URL is not set or Redis does not answer")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        problems.append("CI=true but CELERY_BROKER_URL is not Redis")
    if problems:
        pytest.exit("; ".join(problems), returncode=3)


# Tests that start processes of their own (Celery workers, manage.py) or a browser run
# after the rest, one at a time (`make test` runs the rest with pytest-xdist, -n 2): two
# sets of real workers competing for two cores time out.
_SERIAL_SIGNS = ("Worker(", "start_worker", "subprocess", "pipeline[")


def _runs_processes(module: object) -> bool:
    path = getattr(module, "__file__", "") or ""
    if not path or path == __file__:  # this file names the signs it looks for
        return False
    cached = _SERIAL_FILES.get(path)
    if cached is None:
        try:
            text = open(path, encoding="utf-8").read()  # noqa: SIM115, PTH123
        except OSError:
            text = ""
        cached = _SERIAL_FILES[path] = any(sign in text for sign in _SERIAL_SIGNS)
    return cached


_SERIAL_FILES: dict[str, bool] = {}


def _modules(item: pytest.Item) -> list[object]:
    """The test's module and those defining the fixtures it uses (a worker may hide there)."""
    import sys

    found = [getattr(item, "module", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in info.name2fixturedefs.values() if info else []:
        for fixturedef in defs:
            found.append(sys.modules.get(getattr(fixturedef.func, "__module__", "")))
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser") or any(map(_runs_processes, _modules(item))):
            item.add_marker(pytest.mark.serial)


def require_redis() -> None:
    """Fail under CI, skip on a laptop without Redis."""
    if settings.REDIS_URL and _reachable(settings.REDIS_URL, 6379):
        return
    if IN_CI:
        pytest.fail("Redis is required under CI=true and is not reachable")
    pytest.skip("no Redis here (set REDIS_URL); CI runs this on Redis")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.HTTP_ALLOW_PRIVATE_TARGETS = True
    settings.LOCK_DIR = tmp_path / "locks"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import cache

    from config.celery import app

    cache.clear()  # counters kept there (e.g. rejected webhooks per address) start at 0
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def make_user(django_user_model, email: str):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user(
        username=email.split("@")[0], email=email, password="pw-" + email
    )


@pytest.fixture
def workspace(db):  # type: ignore[no-untyped-def]
    return Workspace.objects.create(name="Acme Agency")


@pytest.fixture
def owner(workspace, django_user_model):  # type: ignore[no-untyped-def]
    user = make_user(django_user_model, "owner@example.com")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def operator(workspace, django_user_model):  # type: ignore[no-untyped-def]
    user = make_user(django_user_model, "operator@example.com")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OPERATOR)
    return user


@pytest.fixture
def viewer(workspace, django_user_model):  # type: ignore[no-untyped-def]
    user = make_user(django_user_model, "viewer@example.com")
    Membership.objects.create(workspace=workspace, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(db, django_user_model):  # type: ignore[no-untyped-def]
    user = make_user(django_user_model, "outsider@example.com")
    other = Workspace.objects.create(name="Other Co")
    Membership.objects.create(workspace=other, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def ghl_sandbox(live_server, settings):  # type: ignore[no-untyped-def]
    """The GHL sandbox served by a live server; the product pointed at it over HTTP."""
    base = live_server.url + "/sandbox/ghl"
    settings.GHL_API_BASE_URL = base
    settings.GHL_AUTHORIZE_URL = base + "/v2/oauth/chooselocation"
    settings.GHL_TOKEN_URL = base + "/oauth/token"
    settings.GHL_REDIRECT_URI = live_server.url + "/connections/oauth/ghl/callback/"
    settings.GHL_CLIENT_ID = "sandbox-client-id"
    settings.GHL_CLIENT_SECRET = "sandbox-client-secret"
    call_command("sandbox_seed", verbosity=0)
    return live_server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):  # type: ignore[no-untyped-def]
    # Live-server threads must not keep connections open past a request, or the test
    # database cannot be dropped at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
