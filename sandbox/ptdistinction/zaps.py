"""What the Zaps do: post a PT Distinction trigger's delivery, and catch Add Client.

A delivery is the body a Zap "PT Distinction trigger → Webhooks by Zapier (POST, payload
type json)" sends: its "Data" rows as a flat JSON object, with the secret in the
`X-Webhook-Secret` header (the Zap's "Headers" rows). The field names are Syncdeck's
documented contract; the sandbox only plays the operator's Zap.
"""

from __future__ import annotations

import json
import uuid

from django.db import transaction
from django.utils import timezone

from sandbox.kit.delivery import post

from .models import CaughtHook, ZapConfig, ZapDelivery

SECRET_HEADER = "X-Webhook-Secret"
# Our event name, Zapier's trigger name, the extra field that trigger carries.
TRIGGERS = (
    ("client_added", "Client Added", ""),
    ("client_added_to_group", "Client Added to Group", "group"),
    ("package_signup", "Pre-Made Package Sign Up", "package"),
)
TRIGGER_NAMES = {event: name for event, name, _ in TRIGGERS}
EXTRA = {event: extra for event, _, extra in TRIGGERS}
FIELDS = ("email", "first_name", "last_name", "phone", "gender", "time_zone", "client_id")


def delivery_body(trigger: str, fields: dict) -> dict:
    """The Data rows of the Zap for this trigger (empty values left out, as Zapier does)."""
    body = {"event": trigger}
    for name in (*FIELDS, EXTRA.get(trigger, "")):
        value = fields.get(name) if name else None
        if value not in (None, ""):
            body[name] = value
    return body


def send(trigger: str, fields: dict | None = None, *, raw: str | None = None) -> ZapDelivery:
    """POST one delivery to the configured target now; the row records the answer."""
    config = ZapConfig.load()
    text = raw if raw is not None else json.dumps(delivery_body(trigger, fields or {}))
    headers = {"Content-Type": "application/json", "User-Agent": "Zapier"}
    if config.webhook_secret:
        headers[SECRET_HEADER] = config.webhook_secret
    delivery = ZapDelivery.objects.create(trigger=trigger, url=config.target_url, body=text)
    if not config.target_url:
        delivery.error = "no target URL is configured"
        delivery.save(update_fields=["error"])
        return delivery
    status, error = post(config.target_url, text.encode(), headers, timeout=(3, 15))
    delivery.status_code = status
    delivery.error = error
    delivery.save(update_fields=["status_code", "error"])
    return delivery


def catch(hook: str, content_type: str, raw: bytes) -> CaughtHook:
    """Record a Catch Hook request (Zapier takes any body; JSON is parsed when it is)."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    with transaction.atomic():
        return CaughtHook.objects.create(
            hook=hook[:200],
            request_id=str(uuid.uuid4()),
            content_type=content_type[:200],
            body=text[:100_000],
            data=data if isinstance(data, dict | list) else None,
            received_at=timezone.now(),
        )
