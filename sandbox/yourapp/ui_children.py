"""Browse pages of Your App (demo): a contact's tasks, notes, appointments and tags.

Writes go through `children` (the API's services), so they emit the same events.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from sandbox.models import SandboxYourAppContact

from . import children, webhooks
from .services import Invalid

INPUT_TYPES = {"str": "text", "text": "text", "bool": "checkbox", "datetime": "datetime-local"}


def _back(contact_id: str, problem: str = "") -> HttpResponseRedirect:
    url = reverse("sandbox:yourapp:ui-contact", args=[contact_id])
    return HttpResponseRedirect(url + ("?" + urlencode({"problem": problem}) if problem else ""))


def _kind(kind: str) -> children.Kind:
    found = children.KINDS.get(kind)
    if found is None:
        raise Http404("No such kind")
    return found


def _values(kind: children.Kind, post) -> dict:
    """The kind's fields from a posted form (a checkbox that is absent is false)."""
    out: dict = {}
    for f in kind.fields:
        if f.type == "bool":
            out[f.name] = f.name in post
        elif f.name in post:
            out[f.name] = post[f.name]
    return out


def _problem(exc: Invalid) -> str:
    return "; ".join(f"{k}: {v}" for k, v in exc.fields.items())


def context(contact: SandboxYourAppContact) -> dict:
    """What contact.html shows of a contact's children."""
    sections = []
    for kind in children.KINDS.values():
        rows = kind.model.objects.filter(contact=contact).order_by("-updated_at", "-id")[:100]
        fields = [{"f": f, "input": INPUT_TYPES.get(f.type, "text")} for f in kind.fields]
        sections.append(
            {
                "kind": kind,
                "fields": fields,
                "rows": [
                    {"data": children.to_dict(kind, row), "values": _row_values(kind, row)}
                    for row in rows
                ],
            }
        )
    return {"sections": sections}


def _row_values(kind: children.Kind, row) -> list[dict]:
    out = []
    for f in kind.fields:
        value = getattr(row, f.name)
        if f.type == "datetime":
            value = value.strftime("%Y-%m-%dT%H:%M") if value else ""
        out.append({"f": f, "input": INPUT_TYPES.get(f.type, "text"), "value": value})
    return out


@csrf_protect
def child_new(request, contact_id, kind):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    k = _kind(kind)
    if not SandboxYourAppContact.objects.filter(pk=contact_id).exists():
        raise Http404("Contact not found")
    try:
        with webhooks.atomic():
            children.create(k, {**_values(k, request.POST), "contact_id": contact_id})
    except Invalid as exc:
        return _back(contact_id, _problem(exc))
    return _back(contact_id)


@csrf_protect
def child_edit(request, kind, record_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    k = _kind(kind)
    row = k.model.objects.filter(pk=record_id).first()
    if row is None:
        raise Http404("Not found")
    try:
        with webhooks.atomic():
            if request.POST.get("action") == "delete":
                children.delete(k, row)
            else:
                children.update(k, row, _values(k, request.POST), replace=False)
    except Invalid as exc:
        return _back(row.contact_id, _problem(exc))
    return _back(row.contact_id)


@csrf_protect
def tags(request, contact_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    contact = SandboxYourAppContact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404("Contact not found")
    tag = (request.POST.get("tag") or "")[:100]
    try:
        with webhooks.atomic():
            children.change_tags(contact, [tag], add=request.POST.get("action") != "remove")
    except Invalid as exc:
        return _back(contact_id, _problem(exc))
    return _back(contact_id)
