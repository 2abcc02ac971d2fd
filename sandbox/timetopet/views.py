"""The feeds (GET, conditional), the client CSV, and sandbox-only control endpoints."""

from __future__ import annotations

from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_GET

from sandbox.kit.control import post_only, read_object

from . import feeds, services
from .models import Company, Staff


def _not_allowed() -> HttpResponse:
    return JsonResponse({"error": "method not allowed"}, status=405)


def _paths(co: Company) -> dict:
    return {
        "company": co.slug,
        "name": co.name,
        "feed": f"/sandbox/timetopet/feeds/{co.feed_token}.ics",
        "staff_feeds": {
            s.name: f"/sandbox/timetopet/feeds/{s.feed_token}.ics" for s in co.staff.order_by("pk")
        },
        "clients_csv": f"/sandbox/timetopet/export/{co.feed_token}/clients.csv",
        "version": co.version,
        "mode": co.mode,
        "fetches": co.fetches,
        "not_modified": co.not_modified,
    }


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A company or staff calendar feed, as a calendar app fetches it."""
    staff = Staff.objects.select_related("company").filter(feed_token=token).first()
    co = staff.company if staff else get_object_or_404(Company, feed_token=token)
    Company.objects.filter(pk=co.pk).update(fetches=F("fetches") + 1)
    if co.mode == Company.Mode.GONE:
        return HttpResponse("Not Found", status=404, content_type="text/plain")
    etag = f'"{co.slug}-{co.version}{"-" + str(staff.pk) if staff else ""}"'
    last_modified = co.changed_at.timestamp()
    match = request.headers.get("If-None-Match")
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    fresh = (match is not None and etag in [m.strip() for m in match.split(",")]) or (
        match is None and since is not None and int(last_modified) <= since
    )
    headers = {"ETag": etag, "Last-Modified": http_date(last_modified), "Cache-Control": "private"}
    if fresh and co.mode == Company.Mode.OK:
        Company.objects.filter(pk=co.pk).update(not_modified=F("not_modified") + 1)
        return HttpResponse(status=304, headers=headers)
    if co.mode == Company.Mode.MALFORMED:
        return HttpResponse(feeds.MALFORMED, content_type="text/calendar; charset=utf-8")
    if co.mode == Company.Mode.HTML:
        return HttpResponse(feeds.LOGIN_PAGE, content_type="text/html; charset=utf-8")
    body = feeds.calendar(co, staff)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8", headers=headers)


@require_GET
def clients_csv(request: HttpRequest, token: str) -> HttpResponse:
    co = get_object_or_404(Company, feed_token=token)
    try:
        rows = min(50_000, max(0, int(request.GET.get("rows") or 0)))
    except ValueError:
        return HttpResponse("rows must be a number", status=400)
    response = HttpResponse(feeds.clients_csv(co, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="clients.csv"'
    return response


# --- control (sandbox only, no auth) ----------------------------------------------------
def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


@post_only(_not_allowed)
def generate(request: HttpRequest) -> HttpResponse:
    data = read_object(request)
    if data is None:
        return _bad("send a JSON object")
    try:
        sizes = {k: int(data[k]) for k in ("series", "weeks", "singles") if k in data}
    except (TypeError, ValueError):
        return _bad("series, weeks and singles are numbers")
    co = services.generate(str(data.get("company") or services.DEMO_SLUG), **sizes)
    return JsonResponse({**_paths(co), "visits": len(feeds.expected(co))})


@post_only(_not_allowed)
def advance(request: HttpRequest) -> HttpResponse:
    data = read_object(request) or {}
    changes = services.advance(str(data.get("company") or services.DEMO_SLUG))
    return JsonResponse({"changes": changes})


@post_only(_not_allowed)
def alter(request: HttpRequest) -> HttpResponse:
    data = read_object(request)
    if not data or not data.get("uid") or not data.get("action"):
        return _bad("send {uid, action: move|cancel|exdate|delete, index, minutes}")
    try:
        done = services.alter(
            str(data.get("company") or services.DEMO_SLUG),
            str(data["uid"]),
            str(data["action"]),
            int(data.get("index") or 0),
            int(data.get("minutes") or 60),
        )
    except (LookupError, ValueError, TypeError) as exc:
        return _bad(str(exc))
    return JsonResponse({"done": done})


@post_only(_not_allowed)
def config(request: HttpRequest) -> HttpResponse:
    data = read_object(request)
    mode = (data or {}).get("mode")
    if mode not in Company.Mode.values:
        return _bad(f"mode is one of {', '.join(Company.Mode.values)}")
    co = services.company(str(data.get("company") or services.DEMO_SLUG))  # type: ignore[union-attr]
    co.mode = mode
    co.save(update_fields=["mode"])
    co.touch()
    return JsonResponse(_paths(co))


@require_GET
def state(request: HttpRequest) -> HttpResponse:
    co = services.company(str(request.GET.get("company") or services.DEMO_SLUG))
    body = _paths(co)
    if request.GET.get("expected"):
        body["expected"] = feeds.expected(co)
    return JsonResponse(body)
