"""Sandbox-only control endpoints (no auth): faults, limits, webhooks, grant counts.

They exist for the tests, the benchmark and the demo; real GHL has nothing like them.
Faults are never injected here or into /oauth/*.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.kit.control import post_only, read_object, settings_view
from sandbox.models import (
    SandboxLocation,
    SandboxPrivateIntegrationToken,
    SandboxSettings,
    SandboxTokenGrant,
    SandboxWebhookDelivery,
    SandboxWebhookSubscription,
)

from . import faults as fault_mod
from . import ratelimit
from .auth import hash_token, new_token


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"statusCode": 400, "message": message}, status=400)


def _not_json() -> JsonResponse:
    return _bad("Body must be a JSON object")


def _use_post() -> JsonResponse:
    return JsonResponse({"statusCode": 405, "message": "Use POST"}, status=405)


faults = settings_view(
    SandboxSettings.load,
    fault_mod.as_dict,
    fault_mod.update,
    _not_json,
    lambda problems: _bad("; ".join(problems)),
)


def _limits_dict(row) -> dict:
    limits = ratelimit.current_limits(row)
    return {"max": limits.max, "interval_ms": limits.interval_ms, "daily": limits.daily}


def _apply_limits(row, data: dict) -> str:
    """Set the given limits and save; return what is wrong (nothing saved) or ""."""
    for key, attr in (
        ("max", "rate_max"),
        ("interval_ms", "rate_interval_ms"),
        ("daily", "rate_daily"),
    ):
        if key in data:
            value = data[key]
            if value is None:
                setattr(row, attr, None)  # back to the Django setting
                continue
            try:
                value = int(value)
            except (TypeError, ValueError):
                return f"{key} must be an integer"
            if value < 1:
                return f"{key} must be positive"
            setattr(row, attr, value)
    row.save()
    return ""


limits = settings_view(SandboxSettings.load, _limits_dict, _apply_limits, _not_json, _bad)


def _subs() -> list[dict]:
    return [
        {"id": s.pk, "url": s.url, "locationId": s.location_id}
        for s in SandboxWebhookSubscription.objects.order_by("pk")
    ]


@csrf_exempt
def webhooks(request):
    if request.method == "POST":
        data = read_object(request)
        if (
            data is None
            or not isinstance(data.get("url"), str)
            or not data["url"].startswith(("http://", "https://"))
        ):
            return _bad("url must be an http(s) URL")
        location_id = data.get("locationId") or None
        if location_id and not SandboxLocation.objects.filter(pk=location_id).exists():
            return _bad("Unknown locationId")
        sub, _ = SandboxWebhookSubscription.objects.get_or_create(
            url=data["url"], location_id=location_id
        )
        return JsonResponse(
            {"id": sub.pk, "url": sub.url, "locationId": sub.location_id}, status=201
        )
    if request.method == "DELETE":
        data = read_object(request) or {}
        qs = SandboxWebhookSubscription.objects.all()
        url = data.get("url") or request.GET.get("url")
        sub_id = data.get("id") or request.GET.get("id")
        if url:
            qs = qs.filter(url=url)
        elif sub_id:
            qs = qs.filter(pk=sub_id)
        deleted, _ = qs.delete()
        return JsonResponse({"deleted": deleted})
    deliveries = [
        {
            "url": d.url,
            "type": d.event_type,
            "webhookId": d.webhook_id,
            "statusCode": d.status_code,
            "state": d.state,
            "attempts": d.attempts,
            "error": d.error,
            "created": d.created.isoformat(),
        }
        for d in SandboxWebhookDelivery.objects.order_by("-pk")[:100]
    ]
    return JsonResponse({"subscriptions": _subs(), "deliveries": deliveries})


def grants(request):
    counts = dict(
        SandboxTokenGrant.objects.values_list("grant_type").annotate(n=Count("id")).order_by()
    )
    return JsonResponse(
        {
            "authorization_code": counts.get("authorization_code", 0),
            "refresh_token": counts.get("refresh_token", 0),
            "total": sum(counts.values()),
        }
    )


@post_only(_use_post)
def reset_counters(request):
    deleted = ratelimit.reset()
    return JsonResponse({"reset": True, "deleted": deleted})


@post_only(_use_post)
def pit(request):
    """POST {"locationId"?, "scopes"?}: mint a Private Integration Token (like sandbox_pit)."""
    data = read_object(request)
    if data is None:
        return _not_json()
    token, location_id = mint_pit(data.get("locationId"), data.get("scopes"))
    if token is None:
        return _bad("Unknown locationId")
    return JsonResponse({"token": token, "locationId": location_id}, status=201)


def mint_pit(location_id: str | None = None, scopes: str | None = None):
    from sandbox.seed import seed

    if not SandboxLocation.objects.exists():
        seed()
    location = (
        SandboxLocation.objects.filter(pk=location_id).first()
        if location_id
        else SandboxLocation.objects.order_by("created", "name").first()
    )
    if location is None:
        return None, None
    token = "pit-" + new_token()
    SandboxPrivateIntegrationToken.objects.create(
        token_hash=hash_token(token),
        location=location,
        scopes=" ".join((scopes or "contacts.readonly contacts.write").split()),
    )
    return token, location.id
