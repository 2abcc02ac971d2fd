"""TIMIFY's DevAPI as simulated, mounted at /sandbox/timify/v1/.

Order for API calls: the token (`Authorization: Bearer …`, 401 when missing, unknown or
expired) and the `company-id` header (403 when it is not the app's company) → injected
faults (503/429/slow) → the handler. Errors answer {"status", "code", "message"}; lists
answer {data, total, meta: {page, limit, totalItems, totalPages}, status}.
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.ghl.api import retry_locked
from sandbox.kit import faults

from . import services
from .models import TimifyAppointment, TimifyConfig, TimifyCustomer, TimifyToken

DEFAULT_LIMIT = 10000  # when `limit` is omitted or ≤ 0 (FACTS §3)


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"status": status, "code": code, "message": message}, status=status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise services.Invalid("the body must be a JSON object", code="INVALID_JSON") from None
    if not isinstance(data, dict):
        raise services.Invalid("the body must be a JSON object", code="INVALID_JSON")
    return data


def _int(value: Any, default: int) -> int:
    try:
        return max(-(10**6), min(int(value), 10**6))
    except (TypeError, ValueError):
        return default


def has_nul(request: HttpRequest) -> bool:
    """A NUL anywhere (path, query, body, also as a JSON \\u0000 escape): PostgreSQL
    cannot store it, so it is refused up front."""
    texts = [request.path, *request.GET.values()]
    return any("\x00" in t for t in texts) or b"\x00" in request.body or b"\\u0000" in request.body


def page_of(request: HttpRequest, rows: QuerySet, shape: Callable[[Any], dict]) -> JsonResponse:
    page = max(1, _int(request.GET.get("page"), 1))
    limit = _int(request.GET.get("limit"), 0)
    limit = DEFAULT_LIMIT if limit <= 0 else min(limit, DEFAULT_LIMIT)
    total = rows.count()
    chunk = list(rows[(page - 1) * limit : page * limit])
    return JsonResponse(
        {
            "data": [shape(row) for row in chunk],
            "total": total,
            "meta": {
                "page": page,
                "limit": limit,
                "totalItems": total,
                "totalPages": math.ceil(total / limit) if total else 0,
            },
            "status": 200,
        }
    )


def one(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse({"data": data, "status": status}, status=status)


# --- the token ------------------------------------------------------------------------
@csrf_exempt
@retry_locked
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return error(405, "METHOD_NOT_ALLOWED", "use POST with {appid, appsecret}")
    services.ensure_seeded()
    config = TimifyConfig.load()
    if has_nul(request):
        return error(400, "VALIDATION_ERROR", "NUL characters are not allowed")
    try:
        body = _body(request)
    except services.Invalid as exc:
        return error(400, exc.code, exc.message)
    appid, appsecret = str(body.get("appid") or ""), str(body.get("appsecret") or "")
    if not appid or not appsecret:
        return error(400, "VALIDATION_ERROR", "appid and appsecret are required")
    if not (
        hmac.compare_digest(appid.encode(), config.app_id.encode())
        and hmac.compare_digest(appsecret.encode(), config.app_secret.encode())
    ):
        return error(401, "INVALID_CREDENTIALS", "invalid appid or appsecret")
    value = "tmf_" + secrets.token_urlsafe(32)
    TimifyToken.objects.create(
        token=value, expires_at=timezone.now() + timedelta(seconds=config.token_ttl_seconds)
    )
    return JsonResponse({"accessToken": value})


# --- the gate of every API call -------------------------------------------------------
def endpoint(handlers: dict[str, Callable[..., HttpResponse]]) -> Callable:
    @csrf_exempt
    @retry_locked
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        services.ensure_seeded()
        config = TimifyConfig.load()
        if has_nul(request):
            return error(400, "VALIDATION_ERROR", "NUL characters are not allowed")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return error(401, "UNAUTHORIZED", "missing Authorization: Bearer token")
        row = TimifyToken.objects.filter(token=given.strip()).first()
        if row is None or row.expires_at <= timezone.now():
            return error(401, "TOKEN_EXPIRED", "the access token is invalid or has expired")
        if request.headers.get("company-id", "") != config.company_id:
            return error(403, "FORBIDDEN", "the company-id header does not name this app's company")
        fault = faults.maybe_fault(
            config,
            lambda: error(503, "SERVICE_UNAVAILABLE", "try again later"),
            lambda: error(429, "TOO_MANY_REQUESTS", "slow down"),
        )
        if fault is not None:
            return fault
        handler = handlers.get(request.method or "")
        if handler is None:
            return error(404, "NOT_FOUND", f"Cannot {request.method} {request.path}")
        try:
            return handler(request, **kwargs)
        except services.Invalid as exc:
            return error(exc.status, exc.code, exc.message)

    return view


# --- customers ------------------------------------------------------------------------
def _list_customers(request: HttpRequest) -> HttpResponse:
    known = services.fields()
    return page_of(
        request,
        TimifyCustomer.objects.order_by("created_at", "id"),
        lambda c: services.customer_json(c, known),
    )


def _create_customer(request: HttpRequest) -> HttpResponse:
    customer = services.create_customer(_body(request))
    return one(services.customer_json(customer), 201)


def _patch_customer(request: HttpRequest, customer_id: str) -> HttpResponse:
    by_external = request.GET.get("external") in ("1", "true")
    lookup = {"external_id": customer_id} if by_external else {"pk": customer_id}
    customer = TimifyCustomer.objects.filter(**lookup).first()
    if customer is None:
        what = "externalId" if by_external else "id"
        return error(404, "NOT_FOUND", f"no customer with {what} {customer_id}")
    services.update_customer(customer, _body(request))
    return one(services.customer_json(customer))


def _list_fields(request: HttpRequest) -> HttpResponse:
    return page_of(
        request,
        services.TimifyCustomField.objects.order_by("position", "id"),
        services.field_json,
    )


customers = endpoint({"GET": _list_customers, "POST": _create_customer})
customer = endpoint({"PATCH": _patch_customer})
customfields = endpoint({"GET": _list_fields})


# --- appointments ---------------------------------------------------------------------
def _list_appointments(request: HttpRequest) -> HttpResponse:
    rows = TimifyAppointment.objects.order_by("start", "id")
    ids = request.GET.get("ids")
    if ids:
        rows = rows.filter(pk__in=[i for i in ids.split(",") if i][:100])
    else:
        start, end = services.window(request.GET.get("from_date"), request.GET.get("to_date"))
        rows = rows.filter(start__gte=start, start__lt=end)
    return page_of(request, rows, services.appointment_json)


def _create_appointment(request: HttpRequest) -> HttpResponse:
    appointment = services.create_appointment(_body(request))
    return one(services.appointment_json(appointment), 201)


def _delete_bulk(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise services.Invalid("ids must be a non-empty list of appointment ids")
    for flag in ("has_notify_customers", "has_notify_resources"):
        if flag in body and not isinstance(body[flag], bool):
            raise services.Invalid(f"{flag} must be true or false")
    deleted, missing = services.delete_appointments(ids[:100])
    return one({"deleted": deleted, "notFound": missing})


appointments = endpoint({"GET": _list_appointments, "POST": _create_appointment})
delete_bulk = endpoint({"POST": _delete_bulk})


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error(404, "NOT_FOUND", f"Cannot {request.method} {request.path}")
