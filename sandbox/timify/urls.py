"""URLs of the TIMIFY simulator, mounted at /sandbox/timify/."""

from django.urls import path, re_path

from . import api, control, ui

app_name = "timify"

urlpatterns = [
    path("v1/auth/token", api.token, name="token"),
    path("v1/customers/customfields", api.customfields, name="customfields"),
    path("v1/customers", api.customers, name="customers"),
    path("v1/customers/<str:customer_id>", api.customer, name="customer"),
    path("v1/appointments/delete/bulk", api.delete_bulk, name="delete-bulk"),
    path("v1/appointments", api.appointments, name="appointments"),
    re_path(r"^v1/(?P<rest>.*)$", api.not_found, name="not-found"),
    path("_control/config", control.config, name="control-config"),
    path("_control/subscribe", control.subscribe, name="control-subscribe"),
    path("_control/expire-tokens", control.expire_tokens, name="control-expire"),
    path("_control/reset", control.reset, name="control-reset"),
    path("_control/deliveries", control.deliveries, name="control-deliveries"),
    path("_ui/", ui.home, name="ui"),
    path("_ui/customers/new", ui.customer_edit, name="ui-customer-new"),
    path("_ui/customers/<str:customer_id>/", ui.customer_edit, name="ui-customer"),
    path("_ui/appointments/new", ui.appointment_edit, name="ui-appointment-new"),
    path("_ui/appointments/<str:appointment_id>/", ui.appointment_edit, name="ui-appointment"),
]
