from __future__ import annotations

from django.apps import AppConfig


class SyncdeckConfig(AppConfig):
    """The project itself as an app, so that its system checks are registered."""

    name = "config"
    label = "syncdeck"
    verbose_name = "Syncdeck"

    def ready(self) -> None:
        from config import checks  # noqa: F401 - registers the checks
