"""Find runs that stopped moving and send them again.

A run is stuck when it is `running` past its lease (its worker died: the late-acked
message may come back too, and the conditional claim makes that harmless), or `queued` /
`retrying` well past when it should have started (the message was lost).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.models import IntegrationStatus, Run, RunEvent, RunStatus
from integrations.sync.engine import Enqueue


def reap(enqueue: Enqueue) -> int:
    now = timezone.now()
    grace = timedelta(seconds=float(getattr(settings, "REAPER_GRACE_SECONDS", 120)))
    active = {"flow__integration__status": IntegrationStatus.ACTIVE, "flow__enabled": True}
    expired = list(
        Run.objects.filter(status=RunStatus.RUNNING, lease_until__lt=now, **active).values_list(
            "pk", flat=True
        )
    )
    for pk in expired:
        updated = Run.objects.filter(pk=pk, status=RunStatus.RUNNING, lease_until__lt=now).update(
            status=RunStatus.QUEUED, lease_until=None
        )
        if updated:
            RunEvent.objects.create(
                run_id=pk,
                level=RunEvent.Level.WARNING,
                message="The worker running this stopped before finishing; queued again.",
            )
    lost = list(
        Run.objects.filter(**active)
        .filter(
            Q(status=RunStatus.QUEUED, created__lt=now - grace, next_attempt_at__isnull=True)
            | Q(status__in=[RunStatus.QUEUED, RunStatus.RETRYING], next_attempt_at__lt=now - grace)
        )
        .values_list("pk", flat=True)[:1000]
    )
    for pk in set(expired) | set(lost):
        enqueue(pk, 0)
    return len(set(expired) | set(lost))
