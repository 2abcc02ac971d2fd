"""Sandbox-only control endpoints of the TIMIFY simulator: no auth, no faults, csrf-exempt.

- GET/POST `_control/config`: credentials, company, token lifetime, webhook, faults.
- POST `_control/subscribe` {"url", "secret"}: where webhooks go and the X-Webhook-Secret.
- POST `_control/expire-tokens`: every issued token expires now (the next call gets 401).
- POST `_control/reset`: customers, fields, appointments, tokens and deliveries back to the
  seed (config kept). GET `_control/deliveries`: the last 50 webhook deliveries.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from sandbox.kit import faults
from sandbox.kit.control import post_only, read_object, settings_view

from . import services
from .api import error
from .models import (
    TimifyAppointment,
    TimifyConfig,
    TimifyCustomer,
    TimifyCustomField,
    TimifyDelivery,
    TimifyToken,
)

TEXT_FIELDS = ("app_id", "app_secret", "company_id", "webhook_secret")
FIELDS = (*TEXT_FIELDS, "webhook_url", "token_ttl_seconds", *faults.FIELDS)


def config_dict(config: TimifyConfig) -> dict:
    return {
        "app_id": config.app_id,
        "app_secret": config.app_secret,
        "company_id": config.company_id,
        "token_ttl_seconds": config.token_ttl_seconds,
        "webhook_url": config.webhook_url,
        "webhook_secret": config.webhook_secret,
        **faults.as_dict(config),
    }


def apply_config(config: TimifyConfig, data: dict) -> dict[str, str]:
    problems: dict[str, str] = {}
    values: dict = {}
    for key, value in data.items():
        if key not in FIELDS:
            problems[key] = "unknown field"
        elif key in TEXT_FIELDS:
            if isinstance(value, str) and 0 < len(value.strip()) <= 200 and "\x00" not in value:
                values[key] = value.strip()
            else:
                problems[key] = "must be a non-empty string (at most 200 characters)"
        elif key == "webhook_url":
            if (
                isinstance(value, str)
                and "\x00" not in value
                and (value == "" or value.startswith(("http://", "https://")))
            ):
                values[key] = value.strip()[:500]
            else:
                problems[key] = "must be an http(s) URL or empty"
        elif key == "token_ttl_seconds":
            if isinstance(value, int) and 1 <= value <= 86400 * 30:
                values[key] = value
            else:
                problems[key] = "must be a number of seconds (1 to 2592000)"
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
    TimifyConfig.load,
    config_dict,
    apply_config,
    lambda: error(400, "INVALID_JSON", "the body must be a JSON object"),
    lambda problems: JsonResponse(
        {"status": 400, "code": "VALIDATION_ERROR", "fields": problems}, status=400
    ),
    not_allowed=lambda: error(405, "METHOD_NOT_ALLOWED", "use GET or POST"),
)

_not_allowed = post_only(lambda: error(405, "METHOD_NOT_ALLOWED", "use POST"))


@_not_allowed
def subscribe(request: HttpRequest) -> HttpResponse:
    data = read_object(request)
    if data is None:
        return error(400, "INVALID_JSON", "the body must be a JSON object")
    values = {"webhook_url": data.get("url", ""), "webhook_secret": data.get("secret", "")}
    problems = apply_config(TimifyConfig.load(), values)
    if problems:
        return JsonResponse(
            {"status": 400, "code": "VALIDATION_ERROR", "fields": problems}, status=400
        )
    return JsonResponse({"subscribed": values["webhook_url"]})


@_not_allowed
def expire_tokens(request: HttpRequest) -> HttpResponse:
    count = TimifyToken.objects.update(expires_at=timezone.now())
    return JsonResponse({"expired": count})


@_not_allowed
def reset(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        TimifyAppointment.objects.all().delete()
        TimifyCustomer.objects.all().delete()
        TimifyCustomField.objects.all().delete()
        TimifyDelivery.objects.all().delete()
        TimifyToken.objects.all().delete()
        services.seed()
    return JsonResponse({"reset": True})


def deliveries(request: HttpRequest) -> HttpResponse:
    rows = TimifyDelivery.objects.order_by("-pk")[:50]
    return JsonResponse(
        {
            "data": [
                {
                    "id": d.pk,
                    "event_id": d.event_id,
                    "type": d.event_type,
                    "url": d.url,
                    "state": d.state,
                    "attempts": d.attempts,
                    "status_code": d.status_code,
                    "error": d.error,
                }
                for d in rows
            ]
        }
    )
