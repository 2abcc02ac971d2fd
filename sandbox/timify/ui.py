"""Browse and edit pages of the TIMIFY simulator (no login: the outside app's own screens).

Edits go through the same services as the API, so they send the same webhooks.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from . import services
from .models import TimifyAppointment, TimifyConfig, TimifyCustomer, TimifyDelivery

SHOWN = 200


def home(request: HttpRequest) -> HttpResponse:
    services.ensure_seeded()
    known = services.fields()
    return render(
        request,
        "sandbox_timify/home.html",
        {
            "config": TimifyConfig.load(),
            "customers": [
                services.customer_json(c, known) for c in TimifyCustomer.objects.all()[:SHOWN]
            ],
            "appointments": [
                services.appointment_json(a)
                for a in TimifyAppointment.objects.select_related("customer")[:SHOWN]
            ],
            "deliveries": TimifyDelivery.objects.order_by("-pk")[:20],
        },
    )


def _customer_form(data: dict | None = None, initial: dict | None = None) -> forms.Form:
    form = forms.Form(data=data, initial=initial)
    for field in services.fields():
        widget = forms.Textarea(attrs={"rows": 2}) if field.type == "TEXTAREA" else None
        form.fields[field.id] = forms.CharField(
            label=field.label, max_length=2000, required=False, widget=widget
        )
    form.fields["externalId"] = forms.CharField(label="External id", max_length=200, required=False)
    return form


@csrf_protect
def customer_edit(request: HttpRequest, customer_id: str = "") -> HttpResponse:
    services.ensure_seeded()
    customer = None
    if "\x00" in customer_id:
        raise Http404("no such record")
    if customer_id:
        customer = TimifyCustomer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise Http404("no such customer")
    problem = ""
    if request.method == "POST":
        if customer is not None and request.POST.get("action") == "delete":
            services.delete_customer(customer)
            return HttpResponseRedirect(reverse("sandbox:timify:ui"))
        form = _customer_form(request.POST)
        if form.is_valid():
            values = dict(form.cleaned_data)
            external = values.pop("externalId") or None
            body = {
                "customfields": [{"id": k, "value": v} for k, v in values.items()],
                "externalId": external,
            }
            try:
                if customer is None:
                    services.create_customer(body)
                else:
                    services.update_customer(customer, body)
            except services.Invalid as exc:
                problem = exc.message
            else:
                return HttpResponseRedirect(reverse("sandbox:timify:ui"))
    else:
        initial = dict(customer.values) if customer else {}
        if customer is not None:
            initial["externalId"] = customer.external_id or ""
        form = _customer_form(initial=initial)
    return render(
        request,
        "sandbox_timify/edit.html",
        {"form": form, "problem": problem, "record": customer, "what": "customer"},
    )


class AppointmentForm(forms.Form):
    title = forms.CharField(max_length=300, required=False)
    start = forms.CharField(max_length=16, help_text="YYYY-MM-DD HH:mm, minutes on a 5-minute step")
    duration = forms.IntegerField(min_value=5, max_value=24 * 60)
    customer = forms.ChoiceField(required=False)
    notes = forms.CharField(max_length=5000, required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        known = services.fields()
        self.fields["customer"].choices = [("", "—")] + [
            (c.id, services.customer_json(c, known)["fullName"] or c.id)
            for c in TimifyCustomer.objects.all()[:SHOWN]
        ]


@csrf_protect
def appointment_edit(request: HttpRequest, appointment_id: str = "") -> HttpResponse:
    services.ensure_seeded()
    appointment = None
    if "\x00" in appointment_id:
        raise Http404("no such record")
    if appointment_id:
        appointment = TimifyAppointment.objects.filter(pk=appointment_id).first()
        if appointment is None:
            raise Http404("no such appointment")
    problem = ""
    if request.method == "POST":
        if appointment is not None and request.POST.get("action") == "delete":
            services.delete_appointments([appointment.id])
            return HttpResponseRedirect(reverse("sandbox:timify:ui"))
        form = AppointmentForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                if appointment is None:
                    services.create_appointment(
                        {
                            "title": d["title"],
                            "start_datetime": d["start"],
                            "duration": d["duration"],
                            "customer_id": d["customer"] or None,
                            "notes": d["notes"],
                            "resource_ids": ["res_anna"],
                        }
                    )
                else:
                    if d["duration"] % 5:
                        raise services.Invalid("duration must be divisible by 5")
                    services.update_appointment(
                        appointment,
                        {
                            "title": d["title"],
                            "start": services.parse_datetime(d["start"], "start"),
                            "duration": d["duration"],
                            "customer": TimifyCustomer.objects.filter(pk=d["customer"]).first(),
                            "notes": d["notes"],
                        },
                    )
            except services.Invalid as exc:
                problem = exc.message
            else:
                return HttpResponseRedirect(reverse("sandbox:timify:ui"))
    else:
        initial = {"duration": 30}
        if appointment is not None:
            initial = {
                "title": appointment.title,
                "start": appointment.start.strftime(services.DATETIME_FORMAT),
                "duration": appointment.duration,
                "customer": appointment.customer_id or "",
                "notes": appointment.notes,
            }
        form = AppointmentForm(initial=initial)
    return render(
        request,
        "sandbox_timify/edit.html",
        {"form": form, "problem": problem, "record": appointment, "what": "appointment"},
    )
