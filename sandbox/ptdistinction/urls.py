"""PT Distinction's Zapier side (sandbox), mounted at /sandbox/ptdistinction/."""

from django.urls import path

from . import ui, views

app_name = "ptdistinction"

urlpatterns = [
    # A Catch Hook, as https://hooks.zapier.com/hooks/catch/<account>/<hook>/ answers it
    path("hooks/catch/<int:account>/<str:hook>/", views.catch_hook, name="catch-hook"),
    # Sandbox-only control endpoints (no auth)
    path("_control/config", views.config, name="control-config"),
    path("_control/send", views.send, name="control-send"),
    path("_control/caught", views.caught, name="control-caught"),
    path("_control/reset", views.reset, name="control-reset"),
    # Browse UI
    path("_ui/", ui.home, name="ui"),
    path("_ui/send", ui.send, name="ui-send"),
    path("_ui/config", ui.config, name="ui-config"),
]
