"""Alerts: evaluate the workspace's rules, open and resolve incidents, send notifications.

`evaluate` decides (one incident per problem, one message when it opens and one when it
recovers), `render` words the messages, `send` delivers them and records each attempt.
Celery tasks in integrations.tasks call these with ids; nothing here imports the tasks,
so whoever evaluates passes the function that queues a delivery (`Enqueue`).
"""

from __future__ import annotations

from integrations.alerts.evaluate import (
    Enqueue,
    evaluate_all,
    evaluate_rule,
    evaluate_workspace,
    send_test,
)
from integrations.alerts.send import Delivery, deliver

__all__ = [
    "Delivery",
    "Enqueue",
    "deliver",
    "evaluate_all",
    "evaluate_rule",
    "evaluate_workspace",
    "send_test",
]
