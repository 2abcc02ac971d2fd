from __future__ import annotations

from django.urls import path

from . import rest, views

app_name = "webhooks"

urlpatterns = [
    path("ghl/", views.ghl_webhook, name="ghl"),
    path("in/<str:token>/", rest.rest_webhook, name="rest"),
]
