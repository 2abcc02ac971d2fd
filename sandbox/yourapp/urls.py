"""URLs of Your App (demo), mounted at /sandbox/yourapp/."""

from django.urls import path, re_path

from . import api, control, hooks, ui, ui_children

app_name = "yourapp"

urlpatterns = [
    # REST API (Authorization: Bearer <api_key>)
    re_path(r"^api/contacts/?$", api.contacts_root, name="contacts"),
    path("api/contacts/<str:contact_id>", api.contact_detail, name="contact"),
    path("api/contacts/<str:contact_id>/tags", api.contact_tags, name="contact-tags"),
    re_path(r"^api/(?P<kind>tasks|notes|appointments)/?$", api.children_root, name="children"),
    re_path(
        r"^api/(?P<kind>tasks|notes|appointments)/(?P<record_id>[^/]+)$",
        api.child_detail,
        name="child",
    ),
    re_path(r"^api/(?P<rest>.*)$", api.not_found, name="api-not-found"),
    # Inbound signed events from Syncdeck
    path("hooks/syncdeck", hooks.syncdeck, name="hook-syncdeck"),
    # Sandbox-only control endpoints (no auth)
    path("_control/config", control.config, name="control-config"),
    path("_control/stats", control.stats, name="control-stats"),
    path("_control/reset", control.reset, name="control-reset"),
    # Browse UI
    path("_ui/", ui.home, name="ui"),
    path("_ui/panels/<str:name>", ui.panel, name="ui-panel"),
    path("_ui/contacts/new", ui.contact_new, name="ui-contact-new"),
    path("_ui/contacts/<str:contact_id>/", ui.contact_detail, name="ui-contact"),
    path("_ui/contacts/<str:contact_id>/delete", ui.contact_delete, name="ui-contact-delete"),
    path("_ui/contacts/<str:contact_id>/tags", ui_children.tags, name="ui-tags"),
    path(
        "_ui/contacts/<str:contact_id>/<str:kind>/new",
        ui_children.child_new,
        name="ui-child-new",
    ),
    path("_ui/<str:kind>/<str:record_id>/", ui_children.child_edit, name="ui-child"),
    path("_ui/config", ui.config_form, name="ui-config"),
]
