"""What a failed run becomes: a retry with backoff, or a failure with a hint in the app's
words; an auth failure pauses the integrations that use the connection."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import ConnectionStatus, IntegrationStatus, Run, RunStatus, Step
from integrations.sync import breaker
from integrations.sync.runlog import RunLog

Enqueue = Callable[[int, float], None]


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, never sooner than the app asked for."""
    base = _setting("SYNC_RETRY_BASE_SECONDS", 2.0)
    cap = _setting("SYNC_RETRY_MAX_SECONDS", 300.0)
    delay = min(cap, base * (2 ** max(0, attempt - 1))) * random.uniform(0.5, 1.5)
    if retry_after is not None:
        delay = max(delay, retry_after + random.uniform(0, 0.5))
    return delay


HINTS = {
    ErrorKind.AUTH: "Reconnect {app} on the Connections page, then retry this run.",
    ErrorKind.VALIDATION: "Fix the mapping or the source record, then retry.",
    ErrorKind.RATE_LIMITED: "{app}'s rate limit was hit; it is retried after the window resets.",
    ErrorKind.TRANSIENT: "{app} did not answer properly; it is retried automatically. If it "
    "keeps failing, check that {app} is up.",
    ErrorKind.PERMANENT: "{app} refused the request; retrying the same data will not help "
    "until the cause is fixed.",
}


def finish(run: Run, status: str, **fields: Any) -> None:
    Run.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now(), lease_until=None, **fields
    )
    if status == RunStatus.FAILED and getattr(settings, "SYNC_RUN_FAILED_HOOK", ""):
        # A hook named in settings (alerts), looked up now: the engine knows nothing of it.
        hook = import_string(settings.SYNC_RUN_FAILED_HOOK)
        transaction.on_commit(lambda: hook(run.pk))


def failed_call(
    run: Run, step: Step | None, exc: ConnectorError, say: RunLog, enqueue: Enqueue
) -> str:
    connection = step.connection if step else run.flow.source
    app = str(connection)
    if exc.kind == ErrorKind.TRANSIENT and not isinstance(exc, breaker.BreakerOpen):
        breaker.record_failure(connection)
    retryable = not exc.permanent and exc.kind != ErrorKind.AUTH
    hint = HINTS.get(exc.kind, HINTS[ErrorKind.PERMANENT]).format(app=app)
    if retryable and run.attempt < run.flow.max_attempts:
        delay = backoff_seconds(run.attempt, exc.retry_after)
        say.warning(
            f"Attempt {run.attempt} failed ({exc.kind}): {exc.message}; retrying in {delay:.1f} s"
        )
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.RETRYING,
            lease_until=None,
            error=exc.message,
            error_kind=exc.kind,
            error_hint=hint,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        transaction.on_commit(lambda: enqueue(run.pk, delay))
        return RunStatus.RETRYING
    if retryable:
        say.error(f"Gave up after {run.attempt} attempts: {exc.message}")
    else:
        say.error(f"Failed ({exc.kind}): {exc.message}")
    finish(run, RunStatus.FAILED, error=exc.message, error_kind=exc.kind, error_hint=hint)
    if exc.kind == ErrorKind.AUTH:
        connection.refresh_from_db()
        if connection.status == ConnectionStatus.NEEDS_REAUTH:
            pause_for_reauth(connection)
    return RunStatus.FAILED


def pause_for_reauth(connection: Any) -> None:
    """A connection needs re-auth: pause every integration whose flows use it."""
    from integrations.models import Integration

    reason = f"{connection} needs re-authorisation"
    Integration.objects.filter(
        Q(flows__source=connection) | Q(flows__steps__connection=connection),
        status=IntegrationStatus.ACTIVE,
    ).update(status=IntegrationStatus.PAUSED, paused_reason=reason)
