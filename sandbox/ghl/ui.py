"""Browse pages of the fake GHL (no login: this is the outside service's side).

Edits go through the same services as the API, so they emit the same webhooks.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect

from sandbox.models import (
    SandboxAppointment,
    SandboxCalendar,
    SandboxContact,
    SandboxLocation,
    SandboxSettings,
    SandboxTask,
    SandboxWebhookDelivery,
    SandboxWebhookSubscription,
)

from . import ratelimit, services
from . import webhooks as wh
from .calendars import APPOINTMENT_STATUSES
from .pages import render_page


class ContactForm(forms.Form):
    firstName = forms.CharField(max_length=200, required=False)
    lastName = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)
    tags = forms.CharField(max_length=1000, required=False, help_text="comma-separated")
    companyName = forms.CharField(max_length=200, required=False)

    def clean_values(self) -> dict:
        d = self.cleaned_data
        return {
            "first_name": d["firstName"].strip(),
            "last_name": d["lastName"].strip(),
            "email": d["email"].strip(),
            "phone": services.normalize_phone(d["phone"]),
            "company_name": d["companyName"].strip(),
            "tags": [t.strip() for t in d["tags"].split(",") if t.strip()],
        }


class TaskForm(forms.Form):
    title = forms.CharField(max_length=300)
    body = forms.CharField(required=False, widget=forms.Textarea)
    dueDate = forms.DateTimeField(required=False)


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea)


class AppointmentForm(forms.Form):
    calendarId = forms.CharField(max_length=32)
    title = forms.CharField(max_length=300, required=False)
    startTime = forms.DateTimeField()
    endTime = forms.DateTimeField(required=False)
    appointmentStatus = forms.ChoiceField(choices=[(s, s) for s in APPOINTMENT_STATUSES])
    address = forms.CharField(max_length=300, required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args, location_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.location_id = location_id

    def clean(self):
        data = super().clean()
        calendar = SandboxCalendar.objects.filter(
            pk=data.get("calendarId"), location_id=self.location_id
        ).first()
        if calendar is None:
            self.add_error("calendarId", "Unknown calendar")
            return data
        start = data.get("startTime")
        if start is not None:
            end = data.get("endTime") or start + timezone.timedelta(minutes=calendar.slot_duration)
            if end <= start:
                self.add_error("endTime", "endTime must be after startTime")
            data["endTime"] = end
        return data

    def model_values(self) -> dict:
        d = self.cleaned_data
        return {
            "calendar_id": d["calendarId"],
            "title": d["title"].strip() or "Appointment",
            "start_time": d["startTime"],
            "end_time": d["endTime"],
            "appointment_status": d["appointmentStatus"],
            "address": d["address"].strip(),
            "notes": d["notes"],
        }


class SettingsForm(forms.Form):
    error_rate = forms.FloatField(min_value=0, max_value=1)
    rate_429 = forms.FloatField(min_value=0, max_value=1)
    slow_rate = forms.FloatField(min_value=0, max_value=1)
    slow_ms = forms.IntegerField(min_value=0)
    rate_max = forms.IntegerField(min_value=1)
    rate_interval_ms = forms.IntegerField(min_value=1)
    rate_daily = forms.IntegerField(min_value=1)


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=1000, assume_scheme="https")


def _ui(name: str, *args) -> str:
    return reverse(f"sandbox:ghl:{name}", args=args)


def _location(request) -> SandboxLocation | None:
    wanted = request.GET.get("location") or request.POST.get("location")
    qs = SandboxLocation.objects.all()
    return (qs.filter(pk=wanted).first() if wanted else None) or qs.order_by(
        "created", "name"
    ).first()


def _contact(contact_id: str) -> SandboxContact:
    contact = SandboxContact.objects.select_related("location").filter(pk=contact_id).first()
    if contact is None:
        raise Http404("Contact not found")
    return contact


def _settings_initial() -> dict:
    row = SandboxSettings.load()
    limits = ratelimit.current_limits(row)
    return {
        "error_rate": row.error_rate,
        "rate_429": row.rate_429,
        "slow_rate": row.slow_rate,
        "slow_ms": row.slow_ms,
        "rate_max": limits.max,
        "rate_interval_ms": limits.interval_ms,
        "rate_daily": limits.daily,
    }


def _home_context(request, location, **extra) -> dict:
    q = (request.GET.get("q") or "").strip()
    contacts = SandboxContact.objects.none()
    if location is not None:
        contacts = SandboxContact.objects.filter(location=location)
        if q:
            from .contacts import text_query

            contacts = contacts.filter(text_query(q))
        contacts = contacts.order_by("-date_updated", "-id")[:200]
    context = {
        "locations": SandboxLocation.objects.all(),
        "location": location,
        "q": q,
        "contacts": contacts,
        "contact_form": ContactForm(),
        "subscriptions": SandboxWebhookSubscription.objects.order_by("pk"),
        "deliveries": SandboxWebhookDelivery.objects.order_by("-pk")[:30],
        "settings_form": SettingsForm(initial=_settings_initial()),
        "webhook_form": WebhookForm(),
    }
    context.update(extra)
    return context


@csrf_protect
def home(request):
    return render_page(
        request, "sandbox/ghl/ui_home.html", _home_context(request, _location(request))
    )


@csrf_protect
def contact_new(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    location = _location(request)
    form = ContactForm(request.POST)
    if location is None or not form.is_valid():
        context = _home_context(request, location, contact_form=form)
        return render_page(request, "sandbox/ghl/ui_home.html", context, status=400)
    with wh.atomic():
        contact = services.create_contact(location, {**form.clean_values(), "source": "sandbox ui"})
    return HttpResponseRedirect(_ui("ui-contact", contact.id))


@csrf_protect
def contact_detail(request, contact_id):
    contact = _contact(contact_id)
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            with wh.atomic():
                services.update_contact(contact, form.clean_values())
            return HttpResponseRedirect(_ui("ui-contact", contact.id) + "?saved=1")
        status = 400
    else:
        form = ContactForm(
            initial={
                "firstName": contact.first_name,
                "lastName": contact.last_name,
                "email": contact.email,
                "phone": contact.phone,
                "tags": ", ".join(contact.tags or []),
                "companyName": contact.company_name,
            }
        )
        status = 200
    context = {
        "contact": contact,
        "data": services.contact_to_dict(contact),
        "form": form,
        "tasks": contact.tasks.order_by("completed", "due_date"),
        "notes": contact.notes.order_by("-date_added"),
        "task_form": TaskForm(),
        "note_form": NoteForm(),
        "appointments": contact.appointments.order_by("start_time", "id"),
        "calendars": SandboxCalendar.objects.filter(location_id=contact.location_id),
        "statuses": APPOINTMENT_STATUSES,
        "saved": request.GET.get("saved") == "1",
        "appointment_error": request.GET.get("appointment_error") == "1",
    }
    return render_page(request, "sandbox/ghl/ui_contact.html", context, status=status)


@csrf_protect
def contact_delete(request, contact_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contact = _contact(contact_id)
    location_id = contact.location_id
    with wh.atomic():
        services.delete_contact(contact)
    return HttpResponseRedirect(_ui("ui") + f"?location={location_id}")


@csrf_protect
def task_add(request, contact_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contact = _contact(contact_id)
    form = TaskForm(request.POST)
    if form.is_valid():
        due = form.cleaned_data["dueDate"] or timezone.now() + timezone.timedelta(days=1)
        with wh.atomic():
            services.create_task(
                contact,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                due_date=due,
                completed=False,
            )
    return HttpResponseRedirect(_ui("ui-contact", contact.id))


@csrf_protect
def task_complete(request, contact_id, task_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    task = SandboxTask.objects.filter(pk=task_id, contact_id=contact_id).first()
    if task is None:
        raise Http404("Task not found")
    with wh.atomic():
        services.update_task(task, completed=True)
    return HttpResponseRedirect(_ui("ui-contact", contact_id))


@csrf_protect
def note_add(request, contact_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contact = _contact(contact_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        with wh.atomic():
            services.create_note(contact, body=form.cleaned_data["body"])
    return HttpResponseRedirect(_ui("ui-contact", contact.id))


def _appointment(contact_id: str, appointment_id: str) -> SandboxAppointment:
    appointment = SandboxAppointment.objects.filter(
        pk=appointment_id, contact_id=contact_id
    ).first()
    if appointment is None:
        raise Http404("Appointment not found")
    return appointment


@csrf_protect
def appointment_add(request, contact_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contact = _contact(contact_id)
    form = AppointmentForm(request.POST, location_id=contact.location_id)
    if not form.is_valid():
        return HttpResponseRedirect(_ui("ui-contact", contact.id) + "?appointment_error=1")
    calendar = SandboxCalendar.objects.get(pk=form.cleaned_data["calendarId"])
    with wh.atomic():
        services.create_appointment(
            contact, **form.model_values(), group_id=calendar.group_id, source="sandbox ui"
        )
    return HttpResponseRedirect(_ui("ui-contact", contact.id) + "#appointments")


@csrf_protect
def appointment_edit(request, contact_id, appointment_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    appointment = _appointment(contact_id, appointment_id)
    form = AppointmentForm(request.POST, location_id=appointment.location_id)
    if not form.is_valid():
        return HttpResponseRedirect(_ui("ui-contact", contact_id) + "?appointment_error=1")
    with wh.atomic():
        services.update_appointment(appointment, **form.model_values())
    return HttpResponseRedirect(_ui("ui-contact", contact_id) + "#appointments")


@csrf_protect
def appointment_delete(request, contact_id, appointment_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    appointment = _appointment(contact_id, appointment_id)
    with wh.atomic():
        services.delete_appointment(appointment)
    return HttpResponseRedirect(_ui("ui-contact", contact_id) + "#appointments")


@csrf_protect
def webhooks(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.POST.get("remove"):
        SandboxWebhookSubscription.objects.filter(pk=request.POST["remove"]).delete()
    else:
        form = WebhookForm(request.POST)
        if form.is_valid():
            SandboxWebhookSubscription.objects.get_or_create(
                url=form.cleaned_data["url"], location=None
            )
    return HttpResponseRedirect(_ui("ui") + "#webhooks")


@csrf_protect
def settings_form(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SettingsForm(request.POST)
    if form.is_valid():
        row = SandboxSettings.load()
        for key, value in form.cleaned_data.items():
            setattr(row, key, value)
        row.save()
    return HttpResponseRedirect(_ui("ui") + "#settings")
