"""REST API of Your App (demo), mounted at /sandbox/yourapp/api/.

Order: count the request -> bearer api_key (401) -> injected faults (503/429/slow) -> the
handler (writes run in one transaction; events go out after commit).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC

from django.http import HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from sandbox.ghl.api import retry_locked
from sandbox.models import SandboxYourAppConfig, SandboxYourAppContact

from . import children, services, webhooks
from .common import BadJSON, bump, error, maybe_fault, parse_object

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Fail(Exception):
    def __init__(self, response: JsonResponse):
        super().__init__(response.status_code)
        self.response = response


def _authorized(request, config: SandboxYourAppConfig) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(token.strip().encode(), config.api_key.encode())


def _body(request) -> dict:
    try:
        return parse_object(request.body or b"{}")
    except BadJSON:
        raise Fail(error(400, "invalid_json", message="body must be a JSON object")) from None


def endpoint(handlers: dict[str, Callable]):
    """A view dispatching on method: {"GET": fn(request, **kwargs), ...}."""

    @retry_locked
    def dispatch(request, handler, **kwargs):
        config = SandboxYourAppConfig.load()
        if not _authorized(request, config):
            return error(401, "unauthorized")
        fault = maybe_fault(config)
        if fault is not None:
            return fault
        try:
            if request.method in WRITE_METHODS:
                with webhooks.atomic():
                    response = handler(request, **kwargs)
            else:
                response = handler(request, **kwargs)
        except Fail as exc:
            return exc.response
        except services.Invalid as exc:
            return error(422, "validation", fields=exc.fields)
        except services.Conflict as exc:
            return error(
                409, "conflict", message="a contact with this email exists", id=exc.existing_id
            )
        if request.method in WRITE_METHODS and response.status_code < 300:
            bump("writes")
        return response

    @csrf_exempt
    def view(request, **kwargs):
        bump("api_requests", f"method:{request.method}")
        handler = handlers.get(request.method)
        if handler is None:
            response = error(405, "method_not_allowed")
            response["Allow"] = ", ".join(handlers)
            return response
        return dispatch(request, handler, **kwargs)

    return view


def _int_param(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise Fail(error(422, "validation", fields={name: "not an integer"})) from None


def _datetime_param(request, name: str):
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    if "T" in raw and " " in raw:  # an unescaped "+" in the offset arrives as a space
        raw = raw.replace(" ", "+")
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise Fail(error(422, "validation", fields={name: "not an ISO-8601 datetime"}))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _page(request, qs, serialize: Callable) -> JsonResponse:
    """One page of `qs` changed since `updated_since` (inclusive), oldest first."""
    since = _datetime_param(request, "updated_since")
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    page = max(1, _int_param(request, "page", 1))
    per_page = min(MAX_PER_PAGE, max(1, _int_param(request, "per_page", DEFAULT_PER_PAGE)))
    total = qs.count()
    start = (page - 1) * per_page
    rows = qs.order_by("updated_at", "id")[start : start + per_page]
    return JsonResponse(
        {
            "data": [serialize(row) for row in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


def list_contacts(request):
    qs = SandboxYourAppContact.objects.all()
    email = (request.GET.get("email") or "").strip()
    if email:
        qs = qs.filter(email_lower=email.lower())
    external_id = (request.GET.get("external_id") or "").strip()
    if external_id:
        qs = qs.filter(external_id=external_id)
    return _page(request, qs, services.to_dict)


def create_contact(request):
    contact = services.create(_body(request))
    return JsonResponse(services.to_dict(contact), status=201)


def _get(contact_id: str, lock: bool = False) -> SandboxYourAppContact:
    qs = SandboxYourAppContact.objects.filter(pk=contact_id)
    if lock:
        qs = qs.select_for_update()
    contact = qs.first()
    if contact is None:
        raise Fail(error(404, "not_found"))
    return contact


def get_contact(request, contact_id):
    return JsonResponse(services.to_dict(_get(contact_id)))


def put_contact(request, contact_id):
    data = _body(request)
    contact = services.update(_get(contact_id, lock=True), data, replace=True)
    return JsonResponse(services.to_dict(contact))


def patch_contact(request, contact_id):
    data = _body(request)
    contact = services.update(_get(contact_id, lock=True), data, replace=False)
    return JsonResponse(services.to_dict(contact))


def delete_contact(request, contact_id):
    services.delete(_get(contact_id, lock=True))
    return HttpResponse(status=204)


def _tags(request, contact_id, *, add: bool):
    data = _body(request)
    contact = children.change_tags(_get(contact_id, lock=True), data.get("tags"), add=add)
    return JsonResponse(services.to_dict(contact))


def add_tags(request, contact_id):
    return _tags(request, contact_id, add=True)


def remove_tags(request, contact_id):
    return _tags(request, contact_id, add=False)


# --- tasks, notes, appointments ---------------------------------------------------------


def _kind(kind: str) -> children.Kind:
    found = children.KINDS.get(kind)
    if found is None:
        raise Fail(error(404, "not_found"))
    return found


def _child(kind: children.Kind, record_id: str, lock: bool = False):
    qs = kind.model.objects.filter(pk=record_id)
    if lock:
        qs = qs.select_for_update()
    row = qs.first()
    if row is None:
        raise Fail(error(404, "not_found"))
    return row


def list_children(request, kind):
    k = _kind(kind)
    qs = k.model.objects.all()
    contact_id = (request.GET.get("contact_id") or "").strip()
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    return _page(request, qs, lambda row: children.to_dict(k, row))


def create_child(request, kind):
    k = _kind(kind)
    row = children.create(k, _body(request))
    return JsonResponse(children.to_dict(k, row), status=201)


def get_child(request, kind, record_id):
    k = _kind(kind)
    return JsonResponse(children.to_dict(k, _child(k, record_id)))


def _write_child(request, kind, record_id, *, replace: bool):
    k = _kind(kind)
    data = _body(request)
    row = children.update(k, _child(k, record_id, lock=True), data, replace=replace)
    return JsonResponse(children.to_dict(k, row))


def put_child(request, kind, record_id):
    return _write_child(request, kind, record_id, replace=True)


def patch_child(request, kind, record_id):
    return _write_child(request, kind, record_id, replace=False)


def delete_child(request, kind, record_id):
    k = _kind(kind)
    children.delete(k, _child(k, record_id, lock=True))
    return HttpResponse(status=204)


children_root = endpoint({"GET": list_children, "POST": create_child})
child_detail = endpoint(
    {"GET": get_child, "PUT": put_child, "PATCH": patch_child, "DELETE": delete_child}
)
contact_tags = endpoint({"POST": add_tags, "DELETE": remove_tags})
contacts_root = endpoint({"GET": list_contacts, "POST": create_contact})
contact_detail = endpoint(
    {"GET": get_contact, "PUT": put_contact, "PATCH": patch_contact, "DELETE": delete_contact}
)


@csrf_exempt
def not_found(request, rest=""):
    return error(404, "not_found")
