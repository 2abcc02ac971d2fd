"""A circuit breaker per connection: stop hammering an app that keeps failing.

After BREAKER_THRESHOLD consecutive transient failures the breaker opens for
BREAKER_COOLDOWN_SECONDS: calls are held (runs wait, without spending an attempt). After
the cool-down one call goes through (half-open); success closes the breaker, failure
opens it again at once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import Connection


class BreakerOpen(ConnectorError):
    def __init__(self, connection: Connection, seconds: float) -> None:
        super().__init__(
            f"{connection} keeps failing; calls are paused for {int(seconds) + 1} s "
            "(circuit breaker open)",
            kind=ErrorKind.TRANSIENT,
            retry_after=seconds,
        )


def threshold() -> int:
    return int(getattr(settings, "BREAKER_THRESHOLD", 5))


def cooldown() -> float:
    return float(getattr(settings, "BREAKER_COOLDOWN_SECONDS", 60))


def check(connection: Connection, *, probe: bool = False) -> None:
    """Raise BreakerOpen while the breaker is open.

    `probe`: an operator's retry (or a test) goes through anyway, as the half-open call:
    the person believes the app is back, and one call finds out.
    """
    connection.refresh_from_db(fields=["breaker_failures", "breaker_open_until"])
    until = connection.breaker_open_until
    if until is not None and until > timezone.now() and not probe:
        raise BreakerOpen(connection, (until - timezone.now()).total_seconds())


def is_open(connection: Connection) -> bool:
    until = connection.breaker_open_until
    return until is not None and until > timezone.now()


def record_success(connection: Connection) -> None:
    if not connection.breaker_failures and connection.breaker_open_until is None:
        return  # already closed (as read by check() just before the call)
    Connection.objects.filter(pk=connection.pk).exclude(
        breaker_failures=0, breaker_open_until__isnull=True
    ).update(breaker_failures=0, breaker_open_until=None)


def record_failure(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(breaker_failures=F("breaker_failures") + 1)
    connection.refresh_from_db(fields=["breaker_failures", "breaker_open_until"])
    if connection.breaker_failures >= threshold():
        until = timezone.now() + timedelta(seconds=cooldown())
        Connection.objects.filter(pk=connection.pk).update(breaker_open_until=until)
        connection.breaker_open_until = until
