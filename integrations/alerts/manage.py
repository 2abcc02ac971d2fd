"""Changing an alert rule: edit it, mute it until a time, read what it sent. Audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.models import AlertRule, AuditEntry, Notification

# The longest mute: a forgotten one must end by itself.
MAX_MUTE = timedelta(days=30)
HISTORY_SIZE = 100

EDITABLE = ("kind", "channel", "target", "threshold", "window_minutes")


class MuteRefused(ValueError):
    """A mute time that is past or too far away; the message says which."""


def update_rule(rule: AlertRule, by: Any, changes: dict[str, Any]) -> list[str]:
    """Apply the changed fields; returns their names. A rule whose kind changes watches
    something else: its open incidents are closed without a message."""
    changed = [
        name for name in EDITABLE if name in changes and changes[name] != getattr(rule, name)
    ]
    if not changed:
        return []
    with transaction.atomic():
        if "kind" in changed:
            rule.incidents.filter(resolved__isnull=True).update(resolved=timezone.now())
        for name in changed:
            setattr(rule, name, changes[name])
        rule.save(update_fields=changed)
        # The target may be a secret URL: the audit names the fields, not their values.
        AuditEntry.record(
            rule.workspace, by, "alert_rule.changed", rule.get_kind_display(), fields=changed
        )
    return changed


def mute(rule: AlertRule, by: Any, until: datetime, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if until <= now:
        raise MuteRefused("Choose a time in the future.")
    if until - now > MAX_MUTE:
        raise MuteRefused("Mute for at most 30 days.")
    rule.muted_until = until
    rule.save(update_fields=["muted_until"])
    AuditEntry.record(
        rule.workspace, by, "alert_rule.muted", rule.get_kind_display(), until=until.isoformat()
    )


def unmute(rule: AlertRule, by: Any) -> None:
    rule.muted_until = None
    rule.save(update_fields=["muted_until"])
    AuditEntry.record(rule.workspace, by, "alert_rule.unmuted", rule.get_kind_display())


def history(rule: AlertRule, limit: int = HISTORY_SIZE) -> list[Notification]:
    """What the rule sent (or tried to, or kept while muted), newest first."""
    return list(
        Notification.objects.filter(rule=rule)
        .select_related("incident")
        .order_by("-created", "-pk")[:limit]
    )
