from __future__ import annotations

from django.urls import path

from dashboard.views import (
    alerts,
    audit,
    conflicts,
    connections,
    connections_form,
    connections_ptdistinction,
    connections_rest,
    events,
    export,
    failures,
    live,
    overview,
    records,
    replay,
    runs,
    team,
)

app_name = "dashboard"

urlpatterns = [
    path("", overview.index, name="home"),
    path("live/", live.poll, name="live"),
    path("connections/", connections.index, name="connections"),
    path("connections/new/<slug:kind>/", connections.new_oauth, name="connection_new"),
    path("connections/new/<slug:kind>/token/", connections.new_token, name="connection_token"),
    path(
        "connections/oauth/<slug:kind>/callback/",
        connections.oauth_callback,
        name="oauth_callback",
    ),
    path(
        "connections/new/<slug:kind>/form/<slug:method>/",
        connections_form.connect,
        name="connection_form",
    ),
    path(
        "connections/<uuid:code>/form/<slug:kind>/<slug:method>/",
        connections_form.connect,
        name="connection_form_replace",
    ),
    path(
        "connections/<uuid:code>/settings/", connections_form.settings, name="connection_settings"
    ),
    path("connections/<uuid:code>/card/", connections.card, name="connection_card"),
    path("connections/<uuid:code>/app/", connections_rest.detail, name="connection_app"),
    path(
        "connections/<uuid:code>/app/rotate/", connections_rest.rotate, name="connection_app_rotate"
    ),
    path(
        "connections/<uuid:code>/app/reconnect/",
        connections_rest.reconnect,
        name="connection_app_reconnect",
    ),
    path(
        "connections/<uuid:code>/zapier/",
        connections_ptdistinction.setup,
        name="connection_zapier",
    ),
    path(
        "connections/<uuid:code>/zapier/rotate/",
        connections_ptdistinction.rotate,
        name="connection_zapier_rotate",
    ),
    path("connections/<uuid:code>/test/", connections.test, name="connection_test"),
    path(
        "connections/<uuid:code>/test/status/",
        connections.test_status,
        name="connection_test_status",
    ),
    path("connections/<uuid:code>/reconnect/", connections.reconnect, name="connection_reconnect"),
    path(
        "connections/<uuid:code>/token/<slug:kind>/",
        connections.new_token,
        name="connection_token_replace",
    ),
    path(
        "connections/<uuid:code>/disconnect/", connections.disconnect, name="connection_disconnect"
    ),
    path("runs/", runs.index, name="runs"),
    path("runs/<uuid:code>/", runs.detail, name="run"),
    path("runs/<uuid:code>/row/", runs.row, name="run_row"),
    path("runs/<uuid:code>/retry/", runs.retry, name="run_retry"),
    path("runs/<uuid:code>/dismiss/", runs.dismiss, name="run_dismiss"),
    path("failures/", failures.index, name="failures"),
    path("conflicts/", conflicts.index, name="conflicts"),
    path("conflicts/<int:pk>/resolve/", conflicts.resolve, name="conflict_resolve"),
    path("conflicts/bulk/", conflicts.bulk, name="conflicts_bulk"),
    path("integrations/<uuid:code>/sync-policy/", conflicts.policy, name="sync_policy"),
    path("records/", records.index, name="records"),
    path("records/<int:pk>/", records.detail, name="record"),
    path("flows/<uuid:code>/replay/", replay.replay, name="flow_replay"),
    path("failures/retry-all/", failures.retry_all, name="retry_all"),
    path("failures/retries/<uuid:code>/", failures.retry_progress, name="retry_progress"),
    path("failures/retries/<uuid:code>/cancel/", failures.retry_cancel, name="retry_cancel"),
    path("events/", events.index, name="events"),
    path("events/<uuid:code>/replay/", events.replay, name="event_replay"),
    path("team/", team.index, name="team"),
    path("team/invitations/<int:pk>/revoke/", team.revoke, name="invitation_revoke"),
    path("team/invitations/<int:pk>/resend/", team.resend, name="invitation_resend"),
    path("team/members/<int:pk>/role/", team.member_role, name="member_role"),
    path("team/members/<int:pk>/remove/", team.member_remove, name="member_remove"),
    path("team/members/<int:pk>/transfer/", team.member_transfer, name="member_transfer"),
    path("team/require-mfa/", team.require_mfa, name="team_require_mfa"),
    path("invite/<str:token>/", team.invitation, name="invitation"),
    path("workspace/switch/", team.switch_workspace, name="switch_workspace"),
    path("charts/", overview.charts, name="charts"),
    path("integrations/<uuid:code>/pause/", overview.pause, name="integration_pause"),
    path("integrations/<uuid:code>/resume/", overview.resume, name="integration_resume"),
    path("flows/<uuid:code>/run-now/", overview.run_now, name="flow_run_now"),
    path("runs/export.csv", export.runs_csv, name="runs_export"),
    path("audit/", audit.index, name="audit"),
    path("alerts/", alerts.index, name="alerts"),
    path("alerts/log/", alerts.log, name="alerts_log"),
    path("alerts/rules/<int:pk>/", alerts.rule, name="alert_rule"),
    path("alerts/rules/<int:pk>/mute/", alerts.mute, name="alert_mute"),
    path("alerts/rules/<int:pk>/unmute/", alerts.unmute, name="alert_unmute"),
    path("alerts/rules/<int:pk>/toggle/", alerts.toggle, name="alert_toggle"),
    path("alerts/rules/<int:pk>/delete/", alerts.delete, name="alert_delete"),
    path("alerts/rules/<int:pk>/test/", alerts.test, name="alert_test"),
]

# The Integrations list and the setup wizard (dashboard/views/wizard*.py).
from dashboard.views import wizard, wizard_steps  # noqa: E402

urlpatterns += [
    path("integrations/", wizard.index, name="integrations"),
    path("integrations/new/", wizard.new, name="wizard_new"),
    path("integrations/<uuid:code>/setup/", wizard.resume, name="wizard_resume"),
    path(
        "integrations/<uuid:code>/setup/credentials/",
        wizard.credentials,
        name="wizard_credentials",
    ),
    path(
        "integrations/<uuid:code>/setup/credentials/yourapp/",
        wizard.connect_yourapp,
        name="wizard_connect_yourapp",
    ),
    path("integrations/<uuid:code>/setup/flows/", wizard.flows, name="wizard_flows"),
    path(
        "integrations/<uuid:code>/setup/flows/actions/",
        wizard.operations,
        name="wizard_operations",
    ),
    path("integrations/<uuid:code>/setup/map/", wizard_steps.map_fields, name="wizard_map"),
    path(
        "integrations/<uuid:code>/setup/map/preview/",
        wizard_steps.preview,
        name="wizard_preview",
    ),
    path("integrations/<uuid:code>/setup/test/", wizard_steps.test, name="wizard_test"),
    path(
        "integrations/<uuid:code>/setup/test/dry-run/",
        wizard_steps.dry_run,
        name="wizard_dry_run",
    ),
    path(
        "integrations/<uuid:code>/setup/test/sync/",
        wizard_steps.test_sync,
        name="wizard_test_sync",
    ),
    path(
        "integrations/<uuid:code>/setup/test/runs/<uuid:run>/",
        wizard_steps.test_run,
        name="wizard_test_run",
    ),
    path(
        "integrations/<uuid:code>/setup/publish/",
        wizard_steps.publish_step,
        name="wizard_publish",
    ),
    path(
        "integrations/<uuid:code>/backfills/<int:pk>/progress/",
        wizard_steps.backfill_progress,
        name="wizard_backfill_progress",
    ),
]

# CSV import and export for apps that declare csv_objects (dashboard/views/csv_import.py).
from dashboard.views import csv_import  # noqa: E402

urlpatterns += [
    path("connections/<uuid:code>/csv/", csv_import.index, name="csv_index"),
    path("connections/<uuid:code>/csv/upload/", csv_import.upload, name="csv_upload"),
    path("connections/<uuid:code>/csv/export/", csv_import.export, name="csv_export"),
    path("csv/<uuid:code>/", csv_import.batch, name="csv_batch"),
    path("csv/<uuid:code>/progress/", csv_import.progress, name="csv_progress"),
    path("csv/<uuid:code>/download/", csv_import.download, name="csv_download"),
]
