"""What the live overview polls: a version of everything the overview and the navigation
counts show, in ONE query on indexed columns, so a poll that finds nothing new costs one
cheap query whatever the number of runs.

The version changes when a run is created (the newest run id), when a run leaves or
enters an in-flight state (queued, running, retrying counts: a run that finishes leaves
them, final states never come back), when a failure is retried or dismissed (the open
failures count, also the navigation's number; so are the open conflicts), when a
connection or an integration changes (their newest `updated`, their count, pauses and
circuit breakers) and, once a minute, with the clock (the 24 h window slides and
"3 minutes ago" ages).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from integrations.models import (
    Conflict,
    ConflictStatus,
    Connection,
    Flow,
    Integration,
    Run,
    RunStatus,
    Workspace,
)

IN_FLIGHT = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING)


@dataclass(frozen=True)
class Snapshot:
    version: str
    failures: int  # open failures: failed, not dismissed, not retried
    conflicts: int = 0  # open conflicts waiting in the queue


def _count(qs: QuerySet[Any]) -> Subquery:
    return Subquery(
        qs.order_by().values("workspace").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def _newest(qs: QuerySet[Any], field: str) -> Subquery:
    return Subquery(qs.order_by().values("workspace").annotate(m=Max(field)).values("m")[:1])


def snapshot(workspace: Workspace) -> Snapshot:
    """The workspace's live version and open failures count, in one query."""
    ws = OuterRef("pk")
    runs = Run.objects.filter(workspace=ws)
    row = (
        Workspace.objects.filter(pk=workspace.pk)
        .values(
            v_newest_run=Subquery(runs.order_by("-pk").values("pk")[:1]),
            v_failures=_count(
                runs.filter(status=RunStatus.FAILED, dismissed=False, retries__isnull=True)
            ),
            v_conflicts=_count(Conflict.objects.filter(workspace=ws, status=ConflictStatus.OPEN)),
            v_connections=_count(Connection.objects.filter(workspace=ws)),
            v_connections_changed=_newest(Connection.objects.filter(workspace=ws), "updated"),
            v_integrations=_count(Integration.objects.filter(workspace=ws)),
            v_integrations_changed=_newest(Integration.objects.filter(workspace=ws), "updated"),
            # Pausing and resuming are UPDATEs that leave `updated` alone.
            v_paused=_count(Integration.objects.filter(workspace=ws, status="paused")),
            v_paused_at=_newest(Integration.objects.filter(workspace=ws), "paused_at"),
            v_breakers=_newest(Connection.objects.filter(workspace=ws), "breaker_open_until"),
            v_flows=Subquery(
                Flow.objects.filter(integration__workspace=ws)
                .order_by()
                .values("integration__workspace")
                .annotate(n=Count("pk"), m=Max("pk"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            **{f"v_{status}": _count(runs.filter(status=status)) for status in IN_FLIGHT},
        )
        .first()
    )
    if row is None:
        return Snapshot("", 0)
    minute = int(timezone.now().timestamp() // 60)
    parts = [str(row[key]) for key in sorted(row)] + [str(minute)]
    digest = hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]
    return Snapshot(digest, row["v_failures"] or 0, row["v_conflicts"] or 0)
