"""Time To Pet (sandbox), mounted at /sandbox/timetopet/: what Time To Pet really offers
outside its own app is a read-only calendar feed per company and per staff member, and
CSV exports (FACTS §1). There is no API to simulate."""

from django.urls import path

from . import ui, views

app_name = "timetopet"

urlpatterns = [
    path("feeds/<str:token>.ics", views.feed, name="feed"),
    path("export/<str:token>/clients.csv", views.clients_csv, name="clients-csv"),
    # Sandbox-only control endpoints (no auth)
    path("_control/generate", views.generate, name="control-generate"),
    path("_control/advance", views.advance, name="control-advance"),
    path("_control/alter", views.alter, name="control-alter"),
    path("_control/config", views.config, name="control-config"),
    path("_control/state", views.state, name="control-state"),
    # Browse UI
    path("_ui/", ui.home, name="ui"),
    path("_ui/generate", ui.generate, name="ui-generate"),
    path("_ui/advance", ui.advance, name="ui-advance"),
    path("_ui/mode", ui.mode, name="ui-mode"),
]
