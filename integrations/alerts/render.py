"""The words of alert messages: one subject and one body per channel.

The body stored on a Notification is exactly what is delivered: plain text for email,
the JSON document for a webhook, the Slack message for Slack. A retry sends the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from integrations.models import AlertIncident, AlertRule

OPENED = "opened"
RECOVERED = "recovered"
TEST = "test"


@dataclass
class Problem:
    """What a rule saw about one key: a one-line summary, details and where to look."""

    key: str
    summary: str
    url: str
    details: list[str] = field(default_factory=list)


def absolute(url_name: str, *args: object, query: str = "") -> str:
    path = reverse(url_name, args=args)
    return f"{settings.SITE_URL}{path}{'?' + query if query else ''}"


def subject(kind: str, summary: str) -> str:
    prefix = {OPENED: "", RECOVERED: "Recovered: ", TEST: "Test: "}[kind]
    text = f"[Syncdeck] {prefix}{summary}"
    return text if len(text) <= 300 else text[:299] + "…"


def email_text(rule: AlertRule, kind: str, problem: Problem) -> str:
    lines = [f"Recovered: {problem.summary}" if kind == RECOVERED else problem.summary, ""]
    if problem.details:
        lines += [*problem.details, ""]
    lines.append(f"See it in Syncdeck: {problem.url}")
    lines.append("")
    if kind == OPENED:
        lines.append("You get one message when this starts and one when it recovers.")
    lines.append(f'Alert rule: "{rule.get_kind_display()}" in workspace {rule.workspace}.')
    lines.append(f"Manage alerts: {absolute('dashboard:alerts')}")
    return "\n".join(lines) + "\n"


def webhook_json(
    rule: AlertRule,
    kind: str,
    problem: Problem,
    incident: AlertIncident | None,
    occurred_at: datetime,
) -> str:
    document = {
        "type": kind,
        "rule": {"id": rule.pk, "kind": rule.kind, "workspace": rule.workspace.name},
        "incident": (
            {"id": incident.pk, "key": incident.key, "opened": incident.opened.isoformat()}
            if incident is not None
            else None
        ),
        "summary": problem.summary,
        "details": problem.details,
        "url": problem.url,
        "occurred_at": occurred_at.isoformat(),
    }
    return json.dumps(document)


def slack_json(kind: str, problem: Problem) -> str:
    icon = {OPENED: ":red_circle:", RECOVERED: ":large_green_circle:", TEST: ":bell:"}[kind]
    head = f"Recovered: {problem.summary}" if kind == RECOVERED else problem.summary
    # Slack mrkdwn: & < > must be escaped in text; <url|label> is a link.
    escaped = head.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [f"{icon} {escaped}", *problem.details, f"<{problem.url}|Open in Syncdeck>"]
    return json.dumps({"text": "\n".join(lines)})


def body(
    rule: AlertRule,
    kind: str,
    problem: Problem,
    incident: AlertIncident | None,
    occurred_at: datetime,
) -> str:
    if rule.channel == AlertRule.Channel.WEBHOOK:
        return webhook_json(rule, kind, problem, incident, occurred_at)
    if rule.channel == AlertRule.Channel.SLACK:
        return slack_json(kind, problem)
    return email_text(rule, kind, problem)


def shown_target(channel: str, target: str) -> str:
    """A target as the log shows it: webhook URLs often carry a secret in their path."""
    if channel == AlertRule.Channel.EMAIL:
        return target
    parts = urlsplit(target)
    first = parts.path.strip("/").split("/")[0] if parts.path.strip("/") else ""
    rest = "/…" if parts.path.strip("/").count("/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc}/{first}{rest}"
