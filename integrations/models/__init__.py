from __future__ import annotations

from .audit import AuditEntry
from .connections import Connection, ConnectionStatus, Environment
from .webhooks import SignatureVerdict, WebhookEvent, WebhookSource, WebhookStatus
from .workspaces import Invitation, Membership, Role, Workspace

__all__ = [
    "AuditEntry",
    "Connection",
    "ConnectionStatus",
    "Environment",
    "Invitation",
    "Membership",
    "Role",
    "SignatureVerdict",
    "WebhookEvent",
    "WebhookSource",
    "WebhookStatus",
    "Workspace",
]
