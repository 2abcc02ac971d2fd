from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = []

if settings.SANDBOX_ENABLED:
    urlpatterns += [path("sandbox/", include("sandbox.urls"))]

if not settings.SANDBOX_ONLY:
    urlpatterns += [
        path("admin/", admin.site.urls),
        path("accounts/", include("allauth.urls")),
        path("webhooks/", include("integrations.webhooks.urls")),
        path("", include("dashboard.urls")),
    ]
