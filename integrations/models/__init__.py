from __future__ import annotations

from .alerts import AlertIncident, AlertRule, Notification
from .audit import AuditEntry
from .connections import AuthMethod, Connection, ConnectionStatus, Environment
from .csvio import ConnectorState, ImportBatch, ImportRow
from .flows import Flow, Integration, IntegrationStatus, Step, TriggerKind
from .ledger import Conflict, ConflictStatus, Direction, LedgerEntry, LedgerKind, Policy, SyncPolicy
from .links import PollCursor, RecordLink
from .retries import RetryBatch
from .runs import ACTIVE_STATUSES, FINISHED_STATUSES, Run, RunEvent, RunStatus, RunStep
from .versions import Backfill, IntegrationVersion
from .webhooks import SignatureVerdict, WebhookEvent, WebhookSource, WebhookStatus
from .workspaces import Invitation, Membership, Role, Workspace

__all__ = [
    "ACTIVE_STATUSES",
    "FINISHED_STATUSES",
    "AlertIncident",
    "AlertRule",
    "AuditEntry",
    "AuthMethod",
    "Backfill",
    "Conflict",
    "ConflictStatus",
    "Connection",
    "ConnectionStatus",
    "ConnectorState",
    "Direction",
    "Environment",
    "Flow",
    "ImportBatch",
    "ImportRow",
    "Integration",
    "IntegrationStatus",
    "IntegrationVersion",
    "Invitation",
    "LedgerEntry",
    "LedgerKind",
    "Membership",
    "Notification",
    "Policy",
    "PollCursor",
    "RecordLink",
    "RetryBatch",
    "Role",
    "Run",
    "RunEvent",
    "RunStatus",
    "RunStep",
    "SignatureVerdict",
    "Step",
    "SyncPolicy",
    "TriggerKind",
    "WebhookEvent",
    "WebhookSource",
    "WebhookStatus",
    "Workspace",
]
