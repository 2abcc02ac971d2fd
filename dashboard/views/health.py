"""`/healthz` (the process answers) and `/readyz` (it can serve and run), no login needed.

Neither says anything secret: component names, ok or not, and an exception's class name.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from integrations import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = health.readiness()
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=200 if ok else 503)
