"""The sandbox's page: feeds, the client CSV, upcoming visits, and buttons to change them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import feeds, services
from .models import Company


class ModeForm(forms.Form):
    mode = forms.ChoiceField(choices=Company.Mode.choices)


def home(request: HttpRequest) -> HttpResponse:
    co = services.company()
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    upcoming = [o for o in feeds.expected(co) if o["end"] >= now][:60]
    return render(
        request,
        "sandbox/timetopet/home.html",
        {
            "co": co,
            "base": request.build_absolute_uri("/").rstrip("/"),
            "staff": co.staff.order_by("pk"),
            "upcoming": upcoming,
            "count": co.visits.filter(deleted=False).count(),
            "mode_form": ModeForm(initial={"mode": co.mode}),
        },
    )


@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    services.generate()
    messages.success(request, "Generated 200 visits (recurring, moved, cancelled, two zones).")
    return redirect("sandbox:timetopet:ui")


@require_POST
def advance(request: HttpRequest) -> HttpResponse:
    for line in services.advance():
        messages.info(request, line)
    return redirect("sandbox:timetopet:ui")


@require_POST
def mode(request: HttpRequest) -> HttpResponse:
    form = ModeForm(request.POST)
    if form.is_valid():
        co = services.company()
        co.mode = form.cleaned_data["mode"]
        co.save(update_fields=["mode"])
        co.touch()
        messages.success(request, f"Feed mode: {co.get_mode_display()}.")
    return redirect("sandbox:timetopet:ui")
