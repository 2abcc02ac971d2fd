"""The wrapper every simulated API operation goes through.

Order: bearer token (401) -> Version header (400) -> rate limit (429) -> injected faults
-> scope (401) -> the handler (writes run in one transaction). Every answer after a
successful token check carries the X-RateLimit-* headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.models import SandboxSettings

from . import errors, faults, ratelimit, webhooks
from .auth import authenticate, check_scope, check_version

READ = "contacts.readonly"
WRITE = "contacts.write"


def json_body(request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise errors.GHLError(errors.bad_request("Unexpected token in JSON body")) from None
    if not isinstance(data, dict):
        raise errors.GHLError(errors.bad_request())
    return data


def endpoint(handlers: dict[str, tuple[str | None, Callable]]):
    """Build a view dispatching on method: {"GET": (scope, fn), ...}."""

    @csrf_exempt
    def view(request, **kwargs):
        handler = handlers.get(request.method)
        if handler is None:
            return errors.error(404, f"Cannot {request.method} {request.path}", "Not Found")
        scope, fn = handler
        verdict = None
        try:
            principal = authenticate(request)
            check_version(request)
            row = SandboxSettings.load()
            verdict = ratelimit.hit(principal.resource_key, row)
            if not verdict.allowed:
                response = errors.too_many_requests()
                response["Retry-After"] = str(verdict.retry_after)
            else:
                response = faults.maybe_fault(row)
                if response is None:
                    check_scope(principal, scope)
                    if request.method in ("GET", "HEAD"):
                        response = fn(request, principal, **kwargs)
                    else:
                        with webhooks.atomic():
                            response = fn(request, principal, **kwargs)
        except errors.GHLError as exc:
            response = exc.response
        if verdict is not None:
            for key, value in verdict.headers().items():
                response[key] = value
        return response

    return view


def ok(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status)
