"""Periodic health checks of connections: each active (or failing) connection is checked
with its connector's test call once per CONNECTION_CHECK_MINUTES; the outcome goes on the
connection (its card shows the last check) and a change of outcome evaluates the
workspace's alert rules at once (the "connection_check" kind alerts on a failed check).

Within the rate budget: the test is one cheap call that goes through http.request with
the connector's rate key, i.e. it takes a token of the same shared bucket as the runs and
waits its turn like them; the scheduler never checks a connection whose circuit breaker
holds its calls, checks at most MAX_PER_TICK connections per tick, and spreads them over
the tick.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.connecting import check_connection
from integrations.models import Connection, ConnectionStatus

MAX_PER_TICK = 50


def interval() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "CONNECTION_CHECK_MINUTES", 15)))


def due(now: datetime | None = None, limit: int = MAX_PER_TICK) -> list[int]:
    """Connections whose last check is older than the interval (or never ran), oldest
    first; not those that need re-authorisation (the reauth alert covers them) or whose
    breaker is open."""
    now = now or timezone.now()
    return list(
        Connection.objects.filter(status__in=[ConnectionStatus.ACTIVE, ConnectionStatus.FAILING])
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=now - interval()))
        .filter(Q(breaker_open_until__isnull=True) | Q(breaker_open_until__lte=now))
        .order_by("last_checked_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def check(connection_id: int, on_change: Callable[[int], None]) -> bool | None:
    """Check one connection now; calls on_change(workspace_id) when the outcome changed.
    Returns the outcome (None: the connection is gone or not checkable any more)."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.status not in (
        ConnectionStatus.ACTIVE,
        ConnectionStatus.FAILING,
    ):
        return None
    before = connection.last_check_ok
    result = check_connection(connection)
    if before is not result.ok:
        on_change(connection.workspace_id)
    return result.ok
