from __future__ import annotations

import pytest

from integrations.models import Connection

pytestmark = pytest.mark.django_db


def test_admin_lists_models_and_hides_credentials(admin_client, workspace):
    c = Connection(workspace=workspace, kind="ghl", auth_method="pit", account_id="loc1")
    c.credentials = {"pit": "pit-very-secret-token"}
    c.save()
    index = admin_client.get("/admin/").content.decode()
    for name in ("Connections", "Workspaces", "Memberships", "Audit entries", "Webhook events"):
        assert name in index
    assert "Sandbox" in index
    page = admin_client.get(f"/admin/integrations/connection/{c.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "pit-very-secret-token" not in html
    assert c.credentials_encrypted not in html
