from __future__ import annotations

from .audit import AuditEntry
from .connections import Connection, ConnectionStatus, Environment
from .workspaces import Invitation, Membership, Role, Workspace

__all__ = [
    "AuditEntry",
    "Connection",
    "ConnectionStatus",
    "Environment",
    "Invitation",
    "Membership",
    "Role",
    "Workspace",
]
