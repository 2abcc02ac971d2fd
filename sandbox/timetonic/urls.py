"""URLs of the TimeTonic simulator, mounted at /sandbox/timetonic/."""

from django.urls import path

from . import api, control, ui

app_name = "timetonic"

urlpatterns = [
    path("live/api.php", api.api_php, name="api"),
    path("_control/config", control.config, name="control-config"),
    path("_control/stats", control.stats, name="control-stats"),
    path("_control/info", control.info, name="control-info"),
    path("_control/reset", control.reset, name="control-reset"),
    path("_control/automations", control.automations, name="control-automations"),
    path("_control/fields", control.fields, name="control-fields"),
    path("_ui/", ui.home, name="ui"),
    path("_ui/tables/<int:cat_id>/", ui.table, name="ui-table"),
    path("_ui/tables/<int:cat_id>/rows/<str:row_id>/", ui.row_edit, name="ui-row"),
    path("_ui/tables/<int:cat_id>/rows/<int:row_id>/delete", ui.row_delete, name="ui-row-delete"),
    path(
        "_ui/tables/<int:cat_id>/fields/<int:field_id>/delete",
        ui.field_delete,
        name="ui-field-delete",
    ),
]
