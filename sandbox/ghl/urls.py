"""URLs mirroring https://services.leadconnectorhq.com (mounted at /sandbox/ghl/)."""

from django.urls import path, re_path

from . import (
    calendars,
    contacts,
    control,
    generic,
    locations,
    oauth,
    relations,
    search,
    tasks_notes,
    ui,
)

app_name = "ghl"

C = "contacts/<str:contactId>"

urlpatterns = [
    # OAuth (the consent page lives on marketplace.gohighlevel.com in real life)
    path("v2/oauth/chooselocation", oauth.authorize, name="authorize"),
    path("oauth/chooselocation", oauth.authorize, name="authorize-legacy"),
    path("oauth/token", oauth.token, name="token"),
    path("oauth/locationToken", oauth.location_token, name="location-token"),
    # Contacts (contacts.json: 32 operations). Literal paths before {contactId}.
    re_path(r"^contacts/?$", contacts.contacts_root, name="contacts"),
    path("contacts/search", search.contacts_search, name="contacts-search"),
    path("contacts/search/duplicate", contacts.contacts_duplicate, name="contacts-duplicate"),
    path("contacts/upsert", contacts.contacts_upsert, name="contacts-upsert"),
    path("contacts/bulk/tags/update/<str:type>", contacts.contacts_bulk_tags, name="bulk-tags"),
    path("contacts/bulk/business", contacts.contacts_bulk_business, name="bulk-business"),
    path("contacts/business/<str:businessId>", contacts.contacts_by_business, name="by-business"),
    path(f"{C}", contacts.contact_detail, name="contact"),
    path(f"{C}/tasks", tasks_notes.tasks_root, name="tasks"),
    path(f"{C}/tasks/<str:taskId>", tasks_notes.task_detail, name="task"),
    path(f"{C}/tasks/<str:taskId>/completed", tasks_notes.task_completed, name="task-completed"),
    path(f"{C}/notes", tasks_notes.notes_root, name="notes"),
    path(f"{C}/notes/<str:id>", tasks_notes.note_detail, name="note"),
    path(f"{C}/appointments", tasks_notes.contact_appointments, name="appointments"),
    path(f"{C}/tags", relations.contact_tags, name="tags"),
    path(f"{C}/followers", relations.contact_followers, name="followers"),
    path(
        f"{C}/campaigns/removeAll",
        relations.contact_campaigns_remove_all,
        name="campaigns-remove-all",
    ),
    # v3 spells it remove-all (contacts-v3.json); the Version check keeps each to its own.
    path(
        f"{C}/campaigns/remove-all",
        relations.contact_campaigns_remove_all,
        name="campaigns-remove-all-v3",
    ),
    path(f"{C}/campaigns/<str:campaignId>", relations.contact_campaign, name="campaign"),
    path(f"{C}/workflow/<str:workflowId>", relations.contact_workflow, name="workflow"),
    # Calendars (calendars.json): calendars and appointments. Literal paths first.
    re_path(r"^calendars/?$", calendars.calendars_root, name="calendars"),
    path("calendars/events", calendars.events_root, name="calendar-events"),
    path("calendars/events/appointments", calendars.appointments_root, name="appointments-root"),
    path(
        "calendars/events/appointments/<str:eventId>",
        calendars.appointment_detail,
        name="appointment",
    ),
    path("calendars/events/<str:eventId>", calendars.event_detail, name="calendar-event"),
    # Locations (locations.json): the location's own details. /locations/search is its
    # own operation (search-locations), not a location called "search".
    path("locations/search", generic.view, {"rest": "locations/search"}, name="locations-search"),
    path("locations/<str:locationId>", locations.location_detail, name="location"),
    path("locations/<str:locationId>/customFields", locations.custom_fields, name="custom-fields"),
    # Sandbox-only control endpoints (no auth)
    path("_control/faults", control.faults, name="control-faults"),
    path("_control/limits", control.limits, name="control-limits"),
    path("_control/webhooks", control.webhooks, name="control-webhooks"),
    path("_control/grants", control.grants, name="control-grants"),
    path("_control/reset-counters", control.reset_counters, name="control-reset-counters"),
    path("_control/pit", control.pit, name="control-pit"),
    # Browse UI
    path("_ui/", ui.home, name="ui"),
    path("_ui/contacts/new", ui.contact_new, name="ui-contact-new"),
    path("_ui/contacts/<str:contact_id>/", ui.contact_detail, name="ui-contact"),
    path("_ui/contacts/<str:contact_id>/delete", ui.contact_delete, name="ui-contact-delete"),
    path("_ui/contacts/<str:contact_id>/tasks", ui.task_add, name="ui-task-add"),
    path(
        "_ui/contacts/<str:contact_id>/tasks/<str:task_id>/complete",
        ui.task_complete,
        name="ui-task-complete",
    ),
    path("_ui/contacts/<str:contact_id>/notes", ui.note_add, name="ui-note-add"),
    path(
        "_ui/contacts/<str:contact_id>/appointments",
        ui.appointment_add,
        name="ui-appointment-add",
    ),
    path(
        "_ui/contacts/<str:contact_id>/appointments/<str:appointment_id>",
        ui.appointment_edit,
        name="ui-appointment-edit",
    ),
    path(
        "_ui/contacts/<str:contact_id>/appointments/<str:appointment_id>/delete",
        ui.appointment_delete,
        name="ui-appointment-delete",
    ),
    path("_ui/webhooks", ui.webhooks, name="ui-webhooks"),
    path("_ui/settings", ui.settings_form, name="ui-settings"),
    # Every other operation of the vendored specs (sandbox/ghl/generic.py); an unknown
    # path answers GHL's JSON 404.
    re_path(r"^(?P<rest>(?!_ui/|_control/).*)$", generic.view, name="generic"),
]
