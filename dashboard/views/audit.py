"""The audit log: who connected, changed a mapping, published, paused, retried, dismissed."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.access import workspace_view
from dashboard.views.runs import keyset_page, page_url
from integrations.models import AuditEntry

# Actions in words; an action not listed is shown as it is stored.
ACTION_LABELS = {
    "connection.created": "connected an app",
    "connection.reconnected": "reconnected an app",
    "connection.token_updated": "replaced a token",
    "connection.deleted": "disconnected an app",
    "mapping.changed": "changed a mapping",
    "integration.published": "published an integration",
    "integration.paused": "paused an integration",
    "integration.resumed": "resumed an integration",
    "flow.run_now": "ran a flow now",
    "flow.backfill_started": "started a backfill",
    "run.retried": "retried a run",
    "run.retried_all": "retried failed runs",
    "run.dismissed": "dismissed a failure",
    "event.replayed": "replayed a webhook event",
    "member.invited": "invited a member",
    "member.joined": "joined the workspace",
    "member.role_changed": "changed a member's role",
    "member.removed": "removed a member",
    "member.invitation_resent": "sent an invitation again",
    "member.invitation_revoked": "revoked an invitation",
    "workspace.ownership_transferred": "transferred ownership",
    "alert_rule.changed": "changed an alert rule",
    "alert_rule.muted": "muted an alert rule",
    "alert_rule.unmuted": "unmuted an alert rule",
    "run.retry_cancelled": "cancelled a Retry all",
}


def _rule(entry: Any) -> str:
    """One mapping entry in words: `trim → lower of trigger.email` or `constant "x"`."""
    if not isinstance(entry, dict):
        return json.dumps(entry, ensure_ascii=False)
    if "const" in entry:
        source = "constant " + json.dumps(entry["const"], ensure_ascii=False)
    else:
        source = str(entry.get("source", "")) or "(nothing)"
    transforms = entry.get("transforms") or []
    names = [t[0] if isinstance(t, list | tuple) and t else str(t) for t in transforms]
    return f"{source} ({', '.join(names)})" if names else source


def mapping_diff(before: Any, after: Any) -> list[dict[str, str]]:
    """Per target field: added, removed or changed, with the old and new rule in words."""

    def by_target(rules: Any) -> dict[str, Any]:
        if not isinstance(rules, list):
            return {}
        return {
            str(r.get("target", f"#{i}")) if isinstance(r, dict) else f"#{i}": r
            for i, r in enumerate(rules)
        }

    old, new = by_target(before), by_target(after)
    out = []
    for target in [*old, *(t for t in new if t not in old)]:
        if target not in new:
            out.append({"target": target, "change": "removed", "before": _rule(old[target])})
        elif target not in old:
            out.append({"target": target, "change": "added", "after": _rule(new[target])})
        elif old[target] != new[target]:
            out.append(
                {
                    "target": target,
                    "change": "changed",
                    "before": _rule(old[target]),
                    "after": _rule(new[target]),
                }
            )
    return out


def _details(entry: AuditEntry) -> list[tuple[str, str]]:
    """The entry's other details as (name, value) pairs."""
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    out = []
    for key, value in detail.items():
        if entry.action == "mapping.changed" and key in ("before", "after"):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.append((key.replace("_", " "), text[:300]))
    return out


@require_GET
@workspace_view("view")
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    entries = AuditEntry.objects.filter(workspace=workspace)
    actions = sorted(set(entries.order_by().values_list("action", flat=True).distinct()))
    action = request.GET.get("action", "")
    if action in actions:
        entries = entries.filter(action=action)
    else:
        action = ""
    page, cursor = keyset_page(entries.select_related("actor"), request.GET.get("before", ""))
    for entry in page:
        entry.label = ACTION_LABELS.get(entry.action, entry.action)  # type: ignore[attr-defined]
        entry.extra = _details(entry)  # type: ignore[attr-defined]
        if entry.action == "mapping.changed" and isinstance(entry.detail, dict):
            entry.diff = mapping_diff(entry.detail.get("before"), entry.detail.get("after"))  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/audit.html",
        {
            "title": "Audit log",
            "entries": page,
            "actions": [(a, ACTION_LABELS.get(a, a)) for a in actions],
            "action": action,
            "older_url": page_url(request, cursor) if cursor else "",
            "paged": bool(request.GET.get("before")),
        },
    )
