"""The stand-in Zapier's page: send a PT Distinction trigger's delivery, see what the
deliveries got back and what the Catch Hook received (no login: an outside service)."""

from __future__ import annotations

import json

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from sandbox.ghl.pages import render_page

from . import zaps
from .models import CaughtHook, ZapConfig, ZapDelivery
from .views import apply_config

SHOWN = 30


class SendForm(forms.Form):
    trigger = forms.ChoiceField(choices=[(e, n) for e, n, _ in zaps.TRIGGERS])
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(max_length=40, required=False)
    gender = forms.CharField(max_length=20, required=False)
    time_zone = forms.CharField(max_length=60, required=False)
    client_id = forms.CharField(max_length=60, required=False)
    group = forms.CharField(max_length=100, required=False, help_text="Client Added to Group")
    package = forms.CharField(max_length=100, required=False, help_text="Package Sign Up")


class ConfigForm(forms.Form):
    target_url = forms.URLField(max_length=1000, required=False, assume_scheme="https")
    webhook_secret = forms.CharField(max_length=200, required=False)
    error_rate = forms.FloatField(min_value=0, max_value=1)


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    except ValueError:
        return text


def home(request: HttpRequest, send_form: SendForm | None = None, status: int = 200):
    config = ZapConfig.load()
    context = {
        "config": config,
        "send_form": send_form or SendForm(initial={"trigger": "client_added"}),
        "config_form": ConfigForm(
            initial={
                "target_url": config.target_url,
                "webhook_secret": config.webhook_secret,
                "error_rate": config.error_rate,
            }
        ),
        "deliveries": [
            {"d": d, "pretty": _pretty(d.body)} for d in ZapDelivery.objects.all()[:SHOWN]
        ],
        "caught": [{"c": c, "pretty": _pretty(c.body)} for c in CaughtHook.objects.all()[:SHOWN]],
        "hook_url": request.build_absolute_uri(
            reverse("sandbox:ptdistinction:catch-hook", args=[1234567, "addclient"])
        ),
    }
    return render_page(request, "sandbox/ptdistinction/home.html", context, status=status)


@csrf_protect
def send(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SendForm(request.POST)
    if not form.is_valid():
        return home(request, send_form=form, status=400)
    fields = {k: v for k, v in form.cleaned_data.items() if k != "trigger"}
    zaps.send(form.cleaned_data["trigger"], fields)
    return HttpResponseRedirect(reverse("sandbox:ptdistinction:ui") + "#deliveries")


@csrf_protect
def config(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ConfigForm(request.POST)
    if form.is_valid():
        apply_config(ZapConfig.load(), form.cleaned_data)
    return HttpResponseRedirect(reverse("sandbox:ptdistinction:ui"))
