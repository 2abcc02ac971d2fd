"""The wrapper every simulated API operation goes through.

Order: bearer token (401) -> Version header (400) -> rate limit (429) -> injected faults
-> scope (401) -> the handler (writes run in one transaction). Every answer after a
successful token check carries the X-RateLimit-* headers.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable

from django.db import OperationalError
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


def retry_locked(view):
    """Retry a view a few times on SQLite "database table is locked".

    Shared-cache in-memory SQLite (Django's test database) fails concurrent writers at
    once instead of honouring the busy timeout. Writes run in one transaction, so a retry
    never applies half a request. File SQLite and PostgreSQL never get here.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        for attempt in range(8):
            try:
                return view(request, *args, **kwargs)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == 7:
                    raise
                time.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper


def endpoint(handlers: dict[str, tuple[str | None, Callable]]):
    """Build a view dispatching on method: {"GET": (scope, fn), ...}."""

    @csrf_exempt
    @retry_locked
    def view(request, **kwargs):
        response = _view(request, **kwargs)
        if 200 <= response.status_code < 300 and response.get("Content-Type", "").startswith(
            "application/json"
        ):
            # Only what the operation's response schema declares (spec.fit).
            from . import spec

            body = json.loads(response.content)
            path = request.path.split("/sandbox/ghl", 1)[-1]
            version = request.headers.get("Version", "").strip()
            fitted = spec.fit_response(request.method, path, version, response.status_code, body)
            if fitted != body:
                response.content = json.dumps(fitted).encode()
        return response

    def _view(request, **kwargs):
        handler = handlers.get(request.method)
        if handler is None:
            # Another operation at the same path (POST /calendars/ next to GET): the
            # spec-driven views serve it, or answer GHL's 404.
            from . import generic

            return generic.view(request, rest=request.path.split("/sandbox/ghl/", 1)[-1])
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


def omit_unset(value, depth: int = 0):
    """GHL leaves unset fields out of a record; it does not send them as null (the spec's
    schemas say string, not nullable). A top-level null ({"contact": null}) is an answer."""
    if isinstance(value, dict):
        return {
            k: omit_unset(v, depth + 1) for k, v in value.items() if v is not None or depth == 0
        }
    if isinstance(value, list):
        return [omit_unset(v, depth + 1) for v in value if v is not None]
    return value


def ok(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(omit_unset(data), status=status)
