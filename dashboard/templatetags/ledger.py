"""Template helpers of the conflict queue, record pages and sync health."""

from __future__ import annotations

from typing import Any

from django import template

from integrations.models import Conflict, ConflictStatus, RecordLink

register = template.Library()


@register.filter
def shown(value: Any) -> str:
    """A field value for people: empty is said, lists are joined."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@register.filter
def agreed(base: Any) -> str:
    """The value both apps had at the last sync (either side's, as stored)."""
    if isinstance(base, dict):
        values = [v for v in base.values() if v not in (None, "")]
        return shown(values[0]) if values else "(empty)"
    return shown(base)


@register.simple_tag(takes_context=True)
def open_conflicts(context: Any) -> int:
    workspace = context.get("workspace")
    if workspace is None:
        return 0
    return Conflict.objects.filter(workspace=workspace, status=ConflictStatus.OPEN).count()


@register.simple_tag
def record_of(run: Any) -> RecordLink | None:
    """The record page a run belongs to (the link it wrote, or its record's link)."""
    links = RecordLink.objects.filter(workspace_id=run.workspace_id)
    found = links.filter(ledger_entries__run=run).first() or links.filter(last_run=run).first()
    if found is None and run.record_id:
        found = (
            links.filter(left_record=run.record_id).first()
            or links.filter(right_record=run.record_id).first()
        )
    return found


@register.simple_tag
def sync_health(integration: Any) -> dict[str, int]:
    """Counted at most once a minute per integration: the overview re-renders its cards
    every few seconds while runs arrive, and these counts read links, conflicts and runs."""
    from django.core.cache import cache

    from integrations.sync import synchealth

    return cache.get_or_set(
        f"synchealth:{integration.pk}", lambda: synchealth.counts(integration), 60
    )
