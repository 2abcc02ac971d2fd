"""Building blocks of the sandbox-only ``_control/...`` JSON endpoints (no auth, no faults)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

Answer = Callable[[], HttpResponse]


def read_object(request: HttpRequest) -> dict | None:
    """The JSON object in the body ({} for an empty body), or None if it is not one."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def post_only(not_allowed: Answer) -> Callable:
    """Decorator: a csrf-exempt view that answers anything but POST with not_allowed()."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return not_allowed()
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def settings_view(
    load: Callable[[], Any],
    as_dict: Callable[[Any], dict],
    apply: Callable[[Any, dict], Any],
    bad_body: Answer,
    invalid: Callable[[Any], HttpResponse],
    not_allowed: Answer | None = None,
) -> Callable:
    """A csrf-exempt view of a settings row: GET answers as_dict(row); POST first applies a
    JSON object with apply(row, data), which saves it and returns its problems (falsy when
    none; invalid(problems) answers them). With not_allowed, only GET and POST are served.
    """

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if not_allowed is not None and request.method not in ("GET", "POST"):
            return not_allowed()
        row = load()
        if request.method == "POST":
            data = read_object(request)
            if data is None:
                return bad_body()
            problems = apply(row, data)
            if problems:
                return invalid(problems)
        return JsonResponse(as_dict(row))

    return view
