"""Browse pages of Your App (demo) (no login: this is the outside app's own screen).

Edits go through the same services as the API, so they emit the same outbound events.
"""

from __future__ import annotations

import json

from django import forms
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from sandbox.ghl.pages import render_page
from sandbox.models import (
    SandboxYourAppConfig,
    SandboxYourAppContact,
    SandboxYourAppDelivery,
    SandboxYourAppEvent,
)

from . import services, ui_children, webhooks
from .control import apply_config, stats_dict

EVENTS_SHOWN = 50
DELIVERIES_SHOWN = 30
CONTACTS_SHOWN = 200


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=200, required=False)
    last_name = forms.CharField(max_length=200, required=False)
    email = forms.CharField(max_length=254, required=False)
    phone = forms.CharField(max_length=60, required=False)
    company = forms.CharField(max_length=200, required=False)
    tags = forms.CharField(max_length=2000, required=False, help_text="comma-separated")

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "first_name": d["first_name"],
            "last_name": d["last_name"],
            "email": d["email"],
            "phone": d["phone"],
            "company": d["company"],
            "tags": [t.strip() for t in d["tags"].split(",") if t.strip()],
        }

    def add_problems(self, exc: Exception) -> None:
        if isinstance(exc, services.Conflict):
            self.add_error("email", f"a contact with this email exists ({exc.existing_id})")
        elif isinstance(exc, services.Invalid):
            for field, message in exc.fields.items():
                self.add_error(field if field in self.fields else None, message)


class ConfigForm(forms.Form):
    subscribers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="one URL per line"
    )
    error_rate = forms.FloatField(min_value=0, max_value=1)
    rate_429 = forms.FloatField(min_value=0, max_value=1)
    slow_rate = forms.FloatField(min_value=0, max_value=1)
    slow_ms = forms.IntegerField(min_value=0)

    def values(self) -> dict:
        d = dict(self.cleaned_data)
        d["subscribers"] = [u.strip() for u in d["subscribers"].splitlines() if u.strip()]
        return d


def _ui(name: str, *args) -> str:
    return reverse(f"sandbox:yourapp:{name}", args=args)


def _contact(contact_id: str) -> SandboxYourAppContact:
    contact = SandboxYourAppContact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404("Contact not found")
    return contact


def _excerpt(raw: str, limit: int = 140) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw[:limit]
    data = body.get("data", body) if isinstance(body, dict) else body
    text = json.dumps(data, separators=(", ", ": "), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _events() -> list[dict]:
    rows = SandboxYourAppEvent.objects.order_by("-received_at", "-id")[:EVENTS_SHOWN]
    return [{"e": e, "excerpt": _excerpt(e.raw_body)} for e in rows]


def _contacts(q: str):
    qs = services.search(q) if q else SandboxYourAppContact.objects.all()
    return qs.order_by("-updated_at", "-id")[:CONTACTS_SHOWN]


def _config_initial() -> dict:
    row = SandboxYourAppConfig.load()
    return {
        "subscribers": "\n".join(row.subscribers or []),
        "error_rate": row.error_rate,
        "rate_429": row.rate_429,
        "slow_rate": row.slow_rate,
        "slow_ms": row.slow_ms,
    }


def _home_context(request, **extra) -> dict:
    q = (request.GET.get("q") or "").strip()
    context = {
        "q": q,
        "contacts": _contacts(q),
        "events": _events(),
        "deliveries": SandboxYourAppDelivery.objects.order_by("-pk")[:DELIVERIES_SHOWN],
        "contact_form": ContactForm(),
        "config_form": ConfigForm(initial=_config_initial()),
        "config": SandboxYourAppConfig.load(),
        "stats": stats_dict(),
    }
    context.update(extra)
    return context


@csrf_protect
def home(request):
    return render_page(request, "sandbox/yourapp/home.html", _home_context(request))


PANELS = {
    "contacts": "sandbox/yourapp/_contacts.html",
    "events": "sandbox/yourapp/_events.html",
    "deliveries": "sandbox/yourapp/_deliveries.html",
}


def panel(request, name):
    """An HTML fragment the home page polls to keep its live panels fresh."""
    template = PANELS.get(name)
    if template is None:
        raise Http404("No such panel")
    q = (request.GET.get("q") or "").strip()
    context = {"q": q}
    if name == "contacts":
        context["contacts"] = _contacts(q)
    elif name == "events":
        context["events"] = _events()
    else:
        context["deliveries"] = SandboxYourAppDelivery.objects.order_by("-pk")[:DELIVERIES_SHOWN]
    return render_page(request, template, context)


@csrf_protect
def contact_new(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            with webhooks.atomic():
                contact = services.create(form.values())
        except (services.Invalid, services.Conflict) as exc:
            form.add_problems(exc)
        else:
            return HttpResponseRedirect(_ui("ui-contact", contact.id) + "?saved=1")
    context = _home_context(request, contact_form=form, new_open=True)
    return render_page(request, "sandbox/yourapp/home.html", context, status=400)


@csrf_protect
def contact_detail(request, contact_id):
    contact = _contact(contact_id)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                with webhooks.atomic():
                    services.update(contact, form.values(), replace=False)
            except (services.Invalid, services.Conflict) as exc:
                form.add_problems(exc)
            else:
                return HttpResponseRedirect(_ui("ui-contact", contact.id) + "?saved=1")
        contact.refresh_from_db()
        status = 400
    else:
        form = ContactForm(
            initial={
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "email": contact.email,
                "phone": contact.phone,
                "company": contact.company,
                "tags": ", ".join(contact.tags or []),
            }
        )
    context = {
        "contact": contact,
        "data": services.to_dict(contact),
        "data_json": json.dumps(services.to_dict(contact), indent=2, ensure_ascii=False),
        "form": form,
        "saved": request.GET.get("saved") == "1",
        "problem": (request.GET.get("problem") or "")[:500],
        **ui_children.context(contact),
    }
    return render_page(request, "sandbox/yourapp/contact.html", context, status=status)


@csrf_protect
def contact_delete(request, contact_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contact = _contact(contact_id)
    with webhooks.atomic():
        services.delete(contact)
    return HttpResponseRedirect(_ui("ui"))


@csrf_protect
def config_form(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ConfigForm(request.POST)
    if form.is_valid():
        problems = apply_config(SandboxYourAppConfig.load(), form.values())
        for field, message in problems.items():
            form.add_error(field if field in form.fields else None, message)
    if not form.is_valid():
        context = _home_context(request, config_form=form)
        return render_page(request, "sandbox/yourapp/home.html", context, status=400)
    return HttpResponseRedirect(_ui("ui") + "#config")
