"""GHL refresh tokens are single-use: concurrent refreshes must spend exactly one.

Each thread loads its own Connection from the database (like separate workers) and the
sandbox counts refresh_token grants; without the lock the sandbox refuses the second use.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone

from integrations.connectors import oauth
from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import Connection, ConnectionStatus

from .conftest import grants, oauth_connection

N = 8
pytestmark = pytest.mark.django_db(transaction=True)


def _run_threads(target, n: int = N) -> list[BaseException | None]:
    barrier = threading.Barrier(n)
    outcomes: list[BaseException | None] = [None] * n

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            target(i)
        except BaseException as exc:  # reported to the test, not swallowed
            outcomes[i] = exc
        finally:
            db_connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


@pytest.mark.parametrize("mode", ["force", "ensure_fresh"])
def test_concurrent_refreshes_spend_the_refresh_token_once(
    ghl_sandbox, workspace, sandbox_base, mode
):
    conn = oauth_connection(workspace)
    Connection.objects.filter(pk=conn.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = grants(sandbox_base)["refresh_token"]
    pk = conn.pk

    def refresh(_i: int) -> None:
        mine = Connection.objects.get(pk=pk)  # each worker its own instance
        if mode == "force":
            mine.connector.refresh(force=True)
        else:
            mine.connector.ensure_fresh()

    outcomes = _run_threads(refresh)
    assert outcomes == [None] * N
    assert grants(sandbox_base)["refresh_token"] == before + 1
    conn = Connection.objects.get(pk=pk)
    assert conn.status == ConnectionStatus.ACTIVE
    assert conn.expires_at > timezone.now()
    assert conn.connector.call("get-contacts", limit=1)["contacts"]


def test_concurrent_calls_after_expiry_all_succeed(ghl_sandbox, workspace, sandbox_base):
    conn = oauth_connection(workspace)
    Connection.objects.filter(pk=conn.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = grants(sandbox_base)["refresh_token"]
    results: list[int] = []

    def call(_i: int) -> None:
        data = Connection.objects.get(pk=conn.pk).connector.call("get-contacts", limit=1)
        results.append(len(data["contacts"]))

    outcomes = _run_threads(call)
    if db_connection.vendor == "sqlite":
        # The in-memory shared-cache SQLite test database ignores the busy timeout, so the
        # sandbox's own rate-limit counter writes can 500 under concurrency ("database
        # table is locked"). Those are transient server errors, never auth failures.
        failed = [o for o in outcomes if o is not None]
        assert all(
            isinstance(o, ConnectorError) and o.kind == ErrorKind.TRANSIENT and o.status == 500
            for o in failed
        ), failed
        assert results == [1] * (N - len(failed))
    else:
        assert outcomes == [None] * N
        assert results == [1] * N
    assert grants(sandbox_base)["refresh_token"] == before + 1
    assert Connection.objects.get(pk=conn.pk).status == ConnectionStatus.ACTIVE


def test_without_the_lock_a_reused_refresh_token_is_refused(ghl_sandbox, workspace, sandbox_base):
    """Proves the sandbox enforces single use, so the lock tests above can fail."""
    conn = oauth_connection(workspace)
    refresh_token = conn.credentials["refresh_token"]
    before = grants(sandbox_base)["refresh_token"]

    def raw_refresh() -> dict:
        return oauth.refresh_token(
            settings.GHL_TOKEN_URL,
            client_id=settings.GHL_CLIENT_ID,
            client_secret=settings.GHL_CLIENT_SECRET,
            refresh_token=refresh_token,
        )

    assert raw_refresh()["access_token"]
    with pytest.raises(ConnectorError) as info:
        raw_refresh()
    assert info.value.status == 400
    assert "Invalid grant: refresh token is invalid" in info.value.message
    assert grants(sandbox_base)["refresh_token"] == before + 1


def test_without_the_lock_concurrent_refreshes_race(ghl_sandbox, workspace, sandbox_base):
    conn = oauth_connection(workspace)
    refresh_token = conn.credentials["refresh_token"]
    won: list[str] = []

    def raw_refresh(_i: int) -> None:
        token = oauth.refresh_token(
            settings.GHL_TOKEN_URL,
            client_id=settings.GHL_CLIENT_ID,
            client_secret=settings.GHL_CLIENT_SECRET,
            refresh_token=refresh_token,
        )
        won.append(token["access_token"])

    outcomes = _run_threads(raw_refresh, 4)
    assert len(won) == 1
    losers = [o for o in outcomes if o is not None]
    assert len(losers) == 3
    assert all(isinstance(o, ConnectorError) for o in losers)
    # PostgreSQL: every loser gets GHL's 400. The in-memory shared-cache SQLite test
    # database ignores the busy timeout, so there a loser may see the sandbox's 500.
    allowed = {400} if db_connection.vendor == "postgresql" else {400, 500}
    assert {o.status for o in losers} <= allowed
    assert grants(sandbox_base)["refresh_token"] >= 1
