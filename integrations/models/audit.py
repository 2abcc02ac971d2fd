from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """Who did what, when: connected, reconnected, disconnected, invited, changed…"""

    workspace = models.ForeignKey("integrations.Workspace", models.CASCADE, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["workspace", "-created", "-id"], name="audit_ws_created"),
            models.Index(fields=["workspace", "action", "-created"], name="audit_ws_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"

    @classmethod
    def record(
        cls, workspace: Any, actor: Any, action: str, target: str = "", **detail: Any
    ) -> AuditEntry:
        user = actor if getattr(actor, "is_authenticated", False) else None
        return cls.objects.create(
            workspace=workspace, actor=user, action=action, target=target, detail=detail
        )
