"""Thin Celery tasks: ids in, a call into integrations, nothing else."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from integrations.connecting import check_connection
from integrations.connectors.base import ConnectorError
from integrations.models import Connection, ConnectionStatus

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def test_connection(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is not None:
        check_connection(connection)


@shared_task(acks_late=True, ignore_result=True)
def refresh_connection(connection_id: int) -> None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.status == ConnectionStatus.NEEDS_REAUTH:
        return
    try:
        connection.connector.refresh()
    except ConnectorError as exc:
        log.warning("refresh of connection %s failed: %s", connection_id, exc.message)


@shared_task(ignore_result=True)
def refresh_expiring_connections() -> int:
    """Periodic: queue a refresh for every OAuth connection close to expiry."""
    from datetime import timedelta

    from django.utils import timezone

    horizon = timezone.now() + timedelta(seconds=settings.GHL_REFRESH_MARGIN_SECONDS * 2)
    ids = list(
        Connection.objects.filter(
            auth_method="oauth2", expires_at__lte=horizon, status__in=["active", "failing"]
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        refresh_connection.delay(pk)
    return len(ids)
