"""Sandbox-only control endpoints of Your App (demo): no auth, no faults, csrf-exempt."""

from __future__ import annotations

from django.db import transaction
from django.http import JsonResponse

from sandbox.kit import faults
from sandbox.kit.control import post_only, settings_view
from sandbox.models import (
    SandboxYourAppAppointment,
    SandboxYourAppConfig,
    SandboxYourAppContact,
    SandboxYourAppCounter,
    SandboxYourAppDelivery,
    SandboxYourAppEvent,
    SandboxYourAppNote,
    SandboxYourAppTask,
)

from .common import counters, error

FIELDS = ("api_key", "webhook_secret", "subscribers", *faults.FIELDS)


def config_dict(config: SandboxYourAppConfig) -> dict:
    return {
        "api_key": config.api_key,
        "webhook_secret": config.webhook_secret,
        "subscribers": list(config.subscribers or []),
        **faults.as_dict(config),
    }


def apply_config(config: SandboxYourAppConfig, data: dict) -> dict[str, str]:
    """Merge the given keys into the config and save it; return problems (nothing saved)."""
    problems: dict[str, str] = {}
    values: dict = {}
    for key, value in data.items():
        if key not in FIELDS:
            problems[key] = "unknown field"
        elif key in ("api_key", "webhook_secret"):
            if isinstance(value, str) and value.strip() and len(value.strip()) <= 200:
                values[key] = value.strip()
            else:
                problems[key] = "must be a non-empty string (at most 200 characters)"
        elif key == "subscribers":
            if isinstance(value, list) and all(
                isinstance(u, str) and u.startswith(("http://", "https://")) for u in value
            ):
                values[key] = list(dict.fromkeys(u.strip() for u in value))
            else:
                problems[key] = "must be a list of http(s) URLs"
        else:
            values[key], problem = faults.clean(key, value)
            if problem:
                problems[key] = problem
    if not problems:
        for key, value in values.items():
            setattr(config, key, value)
        config.save()
    return problems


config = settings_view(
    SandboxYourAppConfig.load,
    config_dict,
    apply_config,
    lambda: error(400, "invalid_json", message="body must be a JSON object"),
    lambda problems: error(400, "validation", fields=problems),
    not_allowed=lambda: error(405, "method_not_allowed"),
)


def stats_dict() -> dict:
    values = counters()
    return {
        "api_requests": values.get("api_requests", 0),
        "by_method": {
            name.split(":", 1)[1]: n
            for name, n in sorted(values.items())
            if name.startswith("method:")
        },
        "writes": values.get("writes", 0),
        "received_events": values.get("received_events", 0),
        "valid_events": values.get("valid_events", 0),
        # Extras: every POST to the hook (faulted ones too) and the duplicates among valid.
        "hook_requests": values.get("hook_requests", 0),
        "duplicate_events": values.get("duplicate_events", 0),
        "contacts": SandboxYourAppContact.objects.count(),
        "tasks": SandboxYourAppTask.objects.count(),
        "notes": SandboxYourAppNote.objects.count(),
        "appointments": SandboxYourAppAppointment.objects.count(),
    }


def stats(request):
    return JsonResponse(stats_dict())


@post_only(lambda: error(405, "method_not_allowed"))
def reset(request):
    with transaction.atomic():
        SandboxYourAppContact.objects.all().delete()  # and their tasks, notes, appointments
        SandboxYourAppEvent.objects.all().delete()
        SandboxYourAppDelivery.objects.all().delete()
        SandboxYourAppCounter.objects.all().delete()
    return JsonResponse({"reset": True})
