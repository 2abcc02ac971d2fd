"""Sandbox-only control endpoints of the TimeTonic simulator (no auth, no faults)."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from sandbox.kit import faults
from sandbox.kit.control import post_only, read_object, settings_view

from . import seed
from .models import TTAutomation, TTConfig, TTDelivery, TTField, TTRow, TTSession, TTTable

FORCED = ("forced_code", "forced_msg", "forced_count", "deadlock_rate")


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def config_dict(config: TTConfig) -> dict:
    return {
        **faults.as_dict(config),
        "deadlock_rate": config.deadlock_rate,
        "forced_code": config.forced_code,
        "forced_msg": config.forced_msg,
        "forced_count": config.forced_count,
    }


def apply_config(config: TTConfig, data: dict) -> dict[str, str]:
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in faults.FIELDS or key == "deadlock_rate":
            as_rate = "error_rate" if key == "deadlock_rate" else key
            values[key], problem = faults.clean(as_rate, value)
            if problem:
                problems[key] = problem
        elif key in ("forced_code", "forced_msg"):
            if isinstance(value, str) and len(value) <= 300:
                values[key] = value
            else:
                problems[key] = "must be a string (at most 300 characters)"
        elif key == "forced_count":
            if isinstance(value, int) and 0 <= value <= 1000:
                values[key] = value
            else:
                problems[key] = "must be an integer between 0 and 1000"
        else:
            problems[key] = "unknown field"
    if not problems:
        for key, value in values.items():
            setattr(config, key, value)
        config.save()
    return problems


config = settings_view(
    TTConfig.load,
    config_dict,
    apply_config,
    lambda: _error(400, "body must be a JSON object"),
    lambda problems: _error(400, "validation", fields=problems),
)


def stats_dict() -> dict:
    return {
        "api_requests": TTConfig.load().api_requests,
        "sessions": TTSession.objects.count(),
        "rows": {t.name: t.rows.count() for t in TTTable.objects.order_by("pk")},
        "deliveries": {
            state: TTDelivery.objects.filter(state=state).count()
            for state in ("pending", "ok", "retrying", "failed")
        },
    }


def stats(request):
    return JsonResponse(stats_dict())


def info(request):
    return JsonResponse(seed.info())


@post_only(lambda: _error(405, "method not allowed"))
def reset(request):
    seed.reset()
    return JsonResponse({"reset": True, **seed.info()})


def _table(value: Any) -> TTTable | None:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return TTTable.objects.filter(pk=int(value)).first()
    return TTTable.objects.filter(name=str(value)).order_by("pk").first()


def add_automation(table: TTTable, url: str, token: str, event_prefix: str, exclusive: bool):
    if exclusive:
        TTAutomation.objects.filter(table=table).delete()
    auto, _ = TTAutomation.objects.update_or_create(
        table=table, url=url, defaults={"token": token, "event_prefix": event_prefix or "row"}
    )
    return auto


def automation_dict(auto: TTAutomation) -> dict:
    return {
        "id": auto.pk,
        "catId": auto.table_id,
        "table": auto.table.name,
        "url": auto.url,
        "event_prefix": auto.event_prefix,
        "enabled": auto.enabled,
    }


@post_only(lambda: _error(405, "method not allowed"))
def automations(request):
    """POST {"table": catId|name, "url", "token", "event_prefix", "exclusive"}."""
    data = read_object(request)
    if data is None:
        return _error(400, "body must be a JSON object")
    table = _table(data.get("table"))
    url = data.get("url")
    if table is None:
        return _error(400, "unknown table")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _error(400, "url must be an http(s) URL")
    auto = add_automation(
        table,
        url,
        str(data.get("token") or ""),
        str(data.get("event_prefix") or "row")[:50],
        bool(data.get("exclusive")),
    )
    return JsonResponse(automation_dict(auto))


@post_only(lambda: _error(405, "method not allowed"))
def fields(request):
    """POST {"table": catId|name, "delete": field name}: what editing the table's columns
    does (a mapped field deleted in TimeTonic)."""
    data = read_object(request)
    if data is None:
        return _error(400, "body must be a JSON object")
    table = _table(data.get("table"))
    if table is None:
        return _error(400, "unknown table")
    deleted = TTField.objects.filter(table=table, name=str(data.get("delete") or "")).first()
    if deleted is None:
        return _error(404, "no such field")
    for row in TTRow.objects.filter(table=table):
        row.values.pop(str(deleted.pk), None)
        row.save(update_fields=["values"])
    deleted.delete()
    return JsonResponse({"deleted": True})
