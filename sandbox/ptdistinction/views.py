"""The Catch Hook (as Zapier answers it) and the sandbox-only control endpoints."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.kit import faults
from sandbox.kit.control import post_only, read_object

from . import zaps
from .models import CaughtHook, ZapConfig, ZapDelivery

CONFIG_FIELDS = ("target_url", "webhook_secret", *faults.FIELDS)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"status": "error", "message": message}, status=status)


def _not_allowed() -> JsonResponse:
    return _error(405, "method not allowed")


@csrf_exempt
def catch_hook(request: HttpRequest, account: int, hook: str) -> HttpResponse:
    """hooks.zapier.com/hooks/catch/<account>/<hook>/: 200 {"status": "success", ids}."""
    if request.method != "POST":
        return _not_allowed()
    fault = faults.maybe_fault(
        ZapConfig.load(),
        lambda: _error(500, "injected server error"),
        lambda: _error(429, "too many requests"),
    )
    if fault is not None:
        return fault
    caught = zaps.catch(f"{account}/{hook}", request.headers.get("Content-Type", ""), request.body)
    rid = caught.request_id
    return JsonResponse({"attempt": rid, "id": rid, "request_id": rid, "status": "success"})


def config_dict(config: ZapConfig) -> dict:
    return {
        "target_url": config.target_url,
        "webhook_secret": config.webhook_secret,
        **faults.as_dict(config),
    }


def apply_config(config: ZapConfig, data: dict) -> dict[str, str]:
    """Merge the given keys and save; return problems (nothing saved when there are any)."""
    problems: dict[str, str] = {}
    values: dict = {}
    for key, value in data.items():
        if key not in CONFIG_FIELDS:
            problems[key] = "unknown field"
        elif key == "target_url":
            if isinstance(value, str) and (not value or value.startswith(("http://", "https://"))):
                values[key] = value.strip()[:1000]
            else:
                problems[key] = "must be an http(s) URL or empty"
        elif key == "webhook_secret":
            if isinstance(value, str) and len(value) <= 200:
                values[key] = value.strip()
            else:
                problems[key] = "must be a string of at most 200 characters"
        else:
            values[key], problem = faults.clean(key, value)
            if problem:
                problems[key] = problem
    if not problems:
        for key, value in values.items():
            setattr(config, key, value)
        config.save()
    return problems


@csrf_exempt
def config(request: HttpRequest) -> HttpResponse:
    row = ZapConfig.load()
    if request.method == "POST":
        data = read_object(request)
        if data is None:
            return _error(400, "the body must be a JSON object")
        problems = apply_config(row, data)
        if problems:
            return JsonResponse({"status": "error", "fields": problems}, status=422)
    elif request.method != "GET":
        return _not_allowed()
    return JsonResponse(config_dict(row))


def delivery_dict(delivery: ZapDelivery) -> dict:
    return {
        "id": delivery.pk,
        "trigger": delivery.trigger,
        "url": delivery.url,
        "body": delivery.body,
        "status_code": delivery.status_code,
        "error": delivery.error,
    }


@post_only(_not_allowed)
def send(request: HttpRequest) -> HttpResponse:
    """{"trigger": "client_added", "fields": {...}} (or "raw": a body sent as is) → the
    delivery made, with the target's answer status."""
    data = read_object(request)
    if data is None:
        return _error(400, "the body must be a JSON object")
    trigger = data.get("trigger", "client_added")
    fields = data.get("fields") or {}
    raw = data.get("raw")
    if trigger not in zaps.TRIGGER_NAMES or not isinstance(fields, dict):
        return _error(422, f"trigger must be one of {', '.join(zaps.TRIGGER_NAMES)}")
    if raw is not None and not isinstance(raw, str):
        return _error(422, "raw must be a string")
    return JsonResponse(delivery_dict(zaps.send(trigger, fields, raw=raw)))


def caught(request: HttpRequest) -> HttpResponse:
    rows = CaughtHook.objects.all()[:100]
    return JsonResponse(
        {
            "caught": [
                {"hook": r.hook, "request_id": r.request_id, "data": r.data, "body": r.body}
                for r in rows
            ]
        }
    )


@post_only(_not_allowed)
def reset(request: HttpRequest) -> HttpResponse:
    CaughtHook.objects.all().delete()
    ZapDelivery.objects.all().delete()
    return JsonResponse({"status": "ok"})
