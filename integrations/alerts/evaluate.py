"""Evaluate alert rules: open an incident when a problem starts, resolve it when it clears.

Each rule kind looks at the workspace and says, per key, "failing" (a Problem) or
"healthy" (the recovery's Problem); a key it says nothing about keeps its state. Opening
an incident records exactly one "opened" notification and resolving one "recovered",
in the same transaction as the incident change. Two evaluations racing (the periodic one
and the one a failed run triggers) meet the `one_open_incident_per_key` constraint and the
conditional UPDATE of `resolved`: only one of them records a message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.alerts import render
from integrations.alerts.render import OPENED, RECOVERED, TEST, Problem
from integrations.models import (
    FINISHED_STATUSES,
    AlertIncident,
    AlertRule,
    Connection,
    ConnectionStatus,
    Flow,
    Integration,
    Notification,
    Run,
    RunStatus,
)

# Queues the delivery of one notification (integrations.tasks passes its task's delay).
Enqueue = Callable[[int], None]
Observation = tuple[dict[str, Problem], dict[str, Problem]]


def min_sample() -> int:
    """error_rate: fewer finished runs than this in the window say nothing."""
    return int(getattr(settings, "ALERTS_ERROR_RATE_MIN_RUNS", 5))


def _ended_runs():  # type: ignore[no-untyped-def]
    return Run.objects.annotate(ended=Coalesce("finished_at", "created"))


# --- the rule kinds ---------------------------------------------------------------------
def _run_failed(rule: AlertRule, now: datetime) -> Observation:
    """Per flow: failing while its latest final run failed (and nobody dismissed it)."""
    latest = (
        _ended_runs()
        .filter(flow=OuterRef("pk"), status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED])
        .order_by("-ended", "-pk")
        .values("pk")[:1]
    )
    flows = list(
        Flow.objects.filter(integration__workspace=rule.workspace)
        .select_related("integration")
        .annotate(latest_run=Subquery(latest))
        .filter(latest_run__isnull=False)
    )
    runs = _ended_runs().in_bulk([flow.latest_run for flow in flows])  # type: ignore[attr-defined]
    since = now - timedelta(minutes=rule.window_minutes)
    failing: dict[str, Problem] = {}
    healthy: dict[str, Problem] = {}
    for flow in flows:
        run = runs[flow.latest_run]  # type: ignore[attr-defined]
        key = f"flow:{flow.pk}"
        name = f"{flow.integration.name} / {flow.name}"
        url = render.absolute("dashboard:run", run.code)
        if run.status == RunStatus.FAILED and not run.dismissed and run.ended >= since:
            record = f" for {run.record_label or run.record_id}" if run.record_id else ""
            failing[key] = Problem(
                key=key,
                summary=f"Run failed in {name}",
                url=url,
                details=[
                    f"A run{record} failed after {run.attempt} attempt(s) "
                    f"at {run.ended:%Y-%m-%d %H:%M} UTC.",
                    f"Error ({run.error_kind or 'error'}): {run.error or 'no message'}",
                    *([f"What to do: {run.error_hint}"] if run.error_hint else []),
                ],
            )
        elif run.status == RunStatus.SUCCEEDED:
            healthy[key] = Problem(
                key=key,
                summary=f"Run failed in {name}",
                url=url,
                details=[f"A later run succeeded at {run.ended:%Y-%m-%d %H:%M} UTC."],
            )
    return failing, healthy


def _connection_reauth(rule: AlertRule, now: datetime) -> Observation:
    """Per connection: failing while it needs re-authorisation, healthy once active."""
    failing: dict[str, Problem] = {}
    healthy: dict[str, Problem] = {}
    url = render.absolute("dashboard:connections")
    for connection in Connection.objects.filter(workspace=rule.workspace):
        key = f"connection:{connection.pk}"
        summary = f"{connection} needs re-authorisation"
        if connection.status == ConnectionStatus.NEEDS_REAUTH:
            failing[key] = Problem(
                key=key,
                summary=summary,
                url=url,
                details=[
                    "Syncdeck can no longer sign in to this account; its integrations are "
                    "paused until you reconnect it on the Connections page.",
                    *([f"Last error: {connection.last_error}"] if connection.last_error else []),
                ],
            )
        elif connection.status == ConnectionStatus.ACTIVE:
            healthy[key] = Problem(
                key=key, summary=summary, url=url, details=[f"{connection} is connected again."]
            )
    return failing, healthy


def _error_rate(rule: AlertRule, now: datetime) -> Observation:
    """Per integration: failed / finished runs over the window against the threshold."""
    since = now - timedelta(minutes=rule.window_minutes)
    counts = {
        row["flow__integration"]: row
        for row in _ended_runs()
        .filter(workspace=rule.workspace, status__in=FINISHED_STATUSES, ended__gte=since)
        .order_by()
        .values("flow__integration")
        .annotate(total=Count("pk"), failed=Count("pk", filter=Q(status=RunStatus.FAILED)))
    }
    failing: dict[str, Problem] = {}
    healthy: dict[str, Problem] = {}
    url = render.absolute("dashboard:runs", query="status=failed")
    for integration in Integration.objects.filter(workspace=rule.workspace):
        row = counts.get(integration.pk, {"total": 0, "failed": 0})
        total, failed = row["total"], row["failed"]
        rate = 100.0 * failed / total if total else 0.0
        key = f"integration:{integration.pk}"
        summary = f"Error rate of {integration.name} above {rule.threshold:g}%"
        numbers = (
            f"{failed} of {total} finished runs failed in the last "
            f"{rule.window_minutes} minutes ({rate:.0f}%)."
        )
        if total >= min_sample() and rate >= rule.threshold:
            failing[key] = Problem(key=key, summary=summary, url=url, details=[numbers])
        elif total == 0 or rate < rule.threshold:
            healthy[key] = Problem(key=key, summary=summary, url=url, details=[numbers])
    return failing, healthy


def _connection_check(rule: AlertRule, now: datetime) -> Observation:
    """Per connection: failing while its last health check failed (integrations/health.py),
    healthy once a check passes."""
    failing: dict[str, Problem] = {}
    healthy: dict[str, Problem] = {}
    url = render.absolute("dashboard:connections")
    for connection in Connection.objects.filter(
        workspace=rule.workspace, last_check_ok__isnull=False
    ):
        key = f"connection:{connection.pk}"
        summary = f"Health check of {connection} failed"
        when = f"{connection.last_checked_at:%Y-%m-%d %H:%M} UTC"
        if connection.last_check_ok is False:
            failing[key] = Problem(
                key=key,
                summary=summary,
                url=url,
                details=[
                    f"The check at {when} failed: {connection.last_check_message or 'no message'}",
                ],
            )
        else:
            healthy[key] = Problem(
                key=key, summary=summary, url=url, details=[f"The check at {when} passed."]
            )
    return failing, healthy


def _conflicts(rule: AlertRule, now: datetime) -> Observation:
    """Per integration: failing while fields changed in both apps wait for a person."""
    from integrations.models import Conflict, ConflictStatus

    waiting = dict(
        Conflict.objects.filter(workspace=rule.workspace, status=ConflictStatus.OPEN)
        .order_by()
        .values_list("integration")
        .annotate(count=Count("pk"))
    )
    failing: dict[str, Problem] = {}
    healthy: dict[str, Problem] = {}
    for integration in Integration.objects.filter(workspace=rule.workspace):
        key = f"conflicts:{integration.pk}"
        summary = f"Conflicts wait in {integration.name}"
        url = render.absolute("dashboard:conflicts", query=f"integration={integration.code}")
        count = waiting.get(integration.pk, 0)
        if count:
            failing[key] = Problem(
                key=key,
                summary=summary,
                url=url,
                details=[
                    f"{count} field{'s' if count != 1 else ''} changed in both apps to "
                    "different values and wait for you to pick a side in the conflict queue."
                ],
            )
        else:
            healthy[key] = Problem(
                key=key, summary=summary, url=url, details=["No conflict waits any more."]
            )
    return failing, healthy


KINDS: dict[str, Callable[[AlertRule, datetime], Observation]] = {
    AlertRule.Kind.RUN_FAILED: _run_failed,
    AlertRule.Kind.CONNECTION_REAUTH: _connection_reauth,
    AlertRule.Kind.ERROR_RATE: _error_rate,
    AlertRule.Kind.CONNECTION_CHECK: _connection_check,
    AlertRule.Kind.CONFLICTS: _conflicts,
}


# --- incidents --------------------------------------------------------------------------
def _record(
    rule: AlertRule,
    kind: str,
    problem: Problem,
    incident: AlertIncident | None,
    now: datetime,
) -> Notification:
    return Notification.objects.create(
        workspace_id=rule.workspace_id,
        rule=rule,
        incident=incident,
        kind=kind,
        # A muted rule's messages are kept (its history shows them) but never sent.
        status=Notification.Status.MUTED
        if kind != TEST and rule.muted(now)
        else Notification.Status.PENDING,
        channel=rule.channel,
        target=rule.target,
        subject=render.subject(kind, problem.summary),
        body=render.body(rule, kind, problem, incident, now),
    )


def _open(
    rule: AlertRule, problem: Problem, enqueue: Enqueue, now: datetime
) -> Notification | None:
    try:
        with transaction.atomic():
            incident = AlertIncident.objects.create(
                rule=rule, key=problem.key, summary=problem.summary[:500]
            )
            notification = _record(rule, OPENED, problem, incident, now)
    except IntegrityError:
        return None  # another evaluation opened this incident first
    _send_later(notification, enqueue)
    return notification


def _send_later(notification: Notification, enqueue: Enqueue) -> None:
    if notification.status == Notification.Status.PENDING:
        transaction.on_commit(lambda: enqueue(notification.pk))


def _resolve(
    rule: AlertRule,
    incident: AlertIncident,
    problem: Problem,
    enqueue: Enqueue,
    now: datetime,
) -> Notification | None:
    with transaction.atomic():
        claimed = AlertIncident.objects.filter(pk=incident.pk, resolved__isnull=True).update(
            resolved=now
        )
        if claimed != 1:
            return None  # another evaluation resolved it first
        incident.resolved = now
        notification = _record(rule, RECOVERED, problem, incident, now)
    _send_later(notification, enqueue)
    return notification


def evaluate_rule(
    rule: AlertRule, enqueue: Enqueue, now: datetime | None = None
) -> list[Notification]:
    """Open and resolve the rule's incidents; return the notifications recorded."""
    now = now or timezone.now()
    failing, healthy = KINDS[rule.kind](rule, now)
    open_incidents = {i.key: i for i in rule.incidents.filter(resolved__isnull=True)}
    made: list[Notification | None] = []
    for key, incident in open_incidents.items():
        if key in healthy:
            made.append(_resolve(rule, incident, healthy[key], enqueue, now))
    for key, problem in failing.items():
        if key not in open_incidents:
            made.append(_open(rule, problem, enqueue, now))
    return [n for n in made if n is not None]


def _evaluate(rules, enqueue: Enqueue, now: datetime | None) -> int:  # type: ignore[no-untyped-def]
    count = 0
    for rule in rules.filter(enabled=True).select_related("workspace"):
        count += len(evaluate_rule(rule, enqueue, now))
    return count


def evaluate_all(enqueue: Enqueue, now: datetime | None = None) -> int:
    """Every enabled rule of every workspace; returns how many notifications were recorded."""
    return _evaluate(AlertRule.objects.all(), enqueue, now)


def evaluate_workspace(workspace_id: int, enqueue: Enqueue, now: datetime | None = None) -> int:
    return _evaluate(AlertRule.objects.filter(workspace_id=workspace_id), enqueue, now)


def send_test(rule: AlertRule, enqueue: Enqueue) -> Notification:
    """Record a test message for the rule's channel and queue its delivery."""
    now = timezone.now()
    problem = Problem(
        key="test",
        summary="Test alert: this channel works",
        url=render.absolute("dashboard:alerts"),
        details=[f'Sent from the alert rule "{rule.get_kind_display()}" on request.'],
    )
    with transaction.atomic():
        notification = _record(rule, TEST, problem, None, now)
    transaction.on_commit(lambda: enqueue(notification.pk))
    return notification
