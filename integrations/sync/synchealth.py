"""Sync health of an integration: its records in sync, in conflict, failing and excluded
(filtered out by a flow's condition), each with the query behind it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from integrations.models import (
    Conflict,
    ConflictStatus,
    Integration,
    RecordLink,
    Run,
    RunStatus,
    Step,
)

EXCLUDED_WORDS = ("its condition", "is not linked to")


def links_of(integration: Integration) -> QuerySet[RecordLink]:
    """The record links the integration's record steps made (both orientations)."""
    pairs = set(
        Step.objects.filter(flow__integration=integration)
        .exclude(record_mode="")
        .values_list("flow__source_id", "connection_id", "flow__object_type")
    )
    if not pairs:
        return RecordLink.objects.none()
    match = Q()
    for source, target, object_type in pairs:
        match |= Q(object_type=object_type, left_id=source, right_id=target)
        match |= Q(object_type=object_type, left_id=target, right_id=source)
    return RecordLink.objects.filter(match, workspace_id=integration.workspace_id)


def failing_ids(integration: Integration) -> QuerySet[Any]:
    """Record ids whose failure nobody has retried or dismissed yet."""
    return (
        Run.objects.filter(
            flow__integration=integration,
            status=RunStatus.FAILED,
            dismissed=False,
            retries__isnull=True,
        )
        .exclude(record_id="")
        .values_list("record_id", flat=True)
        .distinct()
    )


def excluded_runs(integration: Integration) -> QuerySet[Run]:
    words = Q()
    for word in EXCLUDED_WORDS:
        words |= Q(events__message__contains=word)
    return Run.objects.filter(
        words, flow__integration=integration, status=RunStatus.SKIPPED
    ).exclude(record_id="")


def states(integration: Integration) -> dict[str, QuerySet[Any]]:
    live = links_of(integration).filter(deleted_at__isnull=True)
    conflicted = Conflict.objects.filter(
        integration=integration, status=ConflictStatus.OPEN
    ).values_list("link_id", flat=True)
    failing = list(failing_ids(integration)[:5000])
    bad = Q(pk__in=conflicted) | Q(left_record__in=failing) | Q(right_record__in=failing)
    return {
        "in_sync": live.exclude(bad),
        "in_conflict": live.filter(pk__in=conflicted),
        "failing": live.filter(Q(left_record__in=failing) | Q(right_record__in=failing)),
    }


def counts(integration: Integration) -> dict[str, int]:
    found = states(integration)
    return {
        "in_sync": found["in_sync"].count(),
        "in_conflict": found["in_conflict"].count(),
        "failing": failing_ids(integration).count(),
        "excluded": excluded_runs(integration).values("record_id").distinct().count(),
    }
