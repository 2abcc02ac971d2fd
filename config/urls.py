from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.http import require_GET

# The admin has no password form of its own: anonymous visitors are sent to allauth's
# login (?next=), so its rate limits (ACCOUNT_RATE_LIMITS) and two-factor authentication
# guard the admin too; a logged-in non-staff user gets a 403, and staff only GET it (to be
# sent on), never POST a password to it.
admin.site.login = secure_admin_login(require_GET(admin.site.login))  # type: ignore[method-assign]

urlpatterns = []

if settings.SANDBOX_ENABLED:
    urlpatterns += [path("sandbox/", include("sandbox.urls"))]

if not settings.SANDBOX_ONLY:
    from dashboard.views import health, metrics

    urlpatterns += [
        path("healthz", health.healthz, name="healthz"),
        path("readyz", health.readyz, name="readyz"),
        path("metrics", metrics.metrics_view, name="metrics"),
        path("admin/", admin.site.urls),
        path("accounts/", include("allauth.urls")),
        path("webhooks/", include("integrations.webhooks.urls")),
        path("", include("dashboard.urls")),
    ]
