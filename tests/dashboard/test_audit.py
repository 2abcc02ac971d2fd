"""Audit log: entries in words, mapping changes as a per-field before/after, the action
filter, keyset paging, the empty state and workspace scoping."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from dashboard.views.audit import mapping_diff
from integrations.models import AuditEntry

pytestmark = pytest.mark.django_db

BEFORE = [
    {"target": "email", "source": "trigger.email", "transforms": [["trim"]]},
    {"target": "phone", "source": "trigger.phone"},
    {"target": "tags", "const": ["from-ghl"]},
]
AFTER = [
    {"target": "email", "source": "trigger.email", "transforms": [["trim"], ["lower"]]},
    {"target": "tags", "const": ["from-ghl"]},
    {"target": "name", "source": "trigger.full_name"},
]


def test_mapping_diff_per_target_field():
    assert mapping_diff(BEFORE, AFTER) == [
        {
            "target": "email",
            "change": "changed",
            "before": "trigger.email (trim)",
            "after": "trigger.email (trim, lower)",
        },
        {"target": "phone", "change": "removed", "before": "trigger.phone"},
        {"target": "name", "change": "added", "after": "trigger.full_name"},
    ]
    assert mapping_diff(None, "junk") == []


def test_it_shows_empty_state(client, owner):
    client.force_login(owner)
    response = client.get(reverse("dashboard:audit"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Audit log · Syncdeck</title>" in page and "Nothing recorded yet" in page


def test_it_shows_who_did_what_with_before_and_after(client, owner, viewer, workspace):
    AuditEntry.record(workspace, owner, "connection.created", "HighLevel loc1")
    AuditEntry.record(
        workspace, owner, "mapping.changed", "GHL → CRM · contacts", before=BEFORE, after=AFTER
    )
    AuditEntry.record(workspace, None, "integration.paused", "GHL → CRM")
    client.force_login(viewer)
    page = html.unescape(client.get(reverse("dashboard:audit")).content.decode())
    assert "owner@example.com" in page and "connected an app" in page
    assert "changed a mapping" in page and "GHL → CRM · contacts" in page
    assert "trigger.email (trim)" in page and "trigger.email (trim, lower)" in page
    assert 'class="diff-removed"' in page and 'class="diff-added"' in page
    assert "paused an integration" in page and "Syncdeck" in page
    entries = page[page.index('<ol class="audit') :]
    assert entries.index("paused an integration") < entries.index("connected an app")


def test_it_filters_by_action(client, owner, workspace):
    AuditEntry.record(workspace, owner, "run.retried", "run 1")
    AuditEntry.record(workspace, owner, "run.dismissed", "run 2")
    client.force_login(owner)
    page = client.get(reverse("dashboard:audit"), {"action": "run.dismissed"}).content.decode()
    assert "dismissed a failure" in page and "run 2" in page and "run 1" not in page
    page = client.get(reverse("dashboard:audit"), {"action": "bogus"}).content.decode()
    assert "run 1" in page and "run 2" in page  # unknown action: ignored


def test_it_pages(client, owner, workspace):
    for i in range(60):
        AuditEntry.record(workspace, owner, "run.retried", f"run-{i:02d}")
    client.force_login(owner)
    page = client.get(reverse("dashboard:audit")).content.decode()
    assert "run-59" in page and "run-10" in page and "run-09" not in page
    older = re.search(r'id="older" href="([^"]+)"', page)
    page = client.get(html.unescape(older.group(1))).content.decode()
    assert "run-09" in page and "run-00" in page and "run-10" not in page
    assert 'id="older"' not in page


def test_it_is_scoped_to_the_workspace(client, owner, outsider, workspace):
    AuditEntry.record(workspace, owner, "connection.created", "Secret location")
    client.force_login(outsider)
    response = client.get(reverse("dashboard:audit"))
    assert response.status_code == 200 and "Secret location" not in response.content.decode()


def test_it_needs_a_login(client):
    assert client.get(reverse("dashboard:audit")).status_code == 302
