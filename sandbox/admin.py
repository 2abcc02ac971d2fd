from __future__ import annotations

from django.apps import apps
from django.contrib import admin

# Every sandbox table, browsable in the admin (token tables hold hashes only).
for model in apps.get_app_config("sandbox").get_models():
    admin.site.register(model)
