from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

from dashboard.views import connections, events, failures, runs, team

app_name = "dashboard"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:connections"), name="home"),
    path("connections/", connections.index, name="connections"),
    path("connections/new/<slug:kind>/", connections.new_oauth, name="connection_new"),
    path("connections/new/<slug:kind>/token/", connections.new_token, name="connection_token"),
    path(
        "connections/oauth/<slug:kind>/callback/",
        connections.oauth_callback,
        name="oauth_callback",
    ),
    path("connections/<uuid:code>/card/", connections.card, name="connection_card"),
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
    path("failures/retry-all/", failures.retry_all, name="retry_all"),
    path("events/", events.index, name="events"),
    path("events/<uuid:code>/replay/", events.replay, name="event_replay"),
    path("team/", team.index, name="team"),
    path("team/invitations/<int:pk>/revoke/", team.revoke, name="invitation_revoke"),
    path("invite/<str:token>/", team.invitation, name="invitation"),
    path("workspace/switch/", team.switch_workspace, name="switch_workspace"),
]
