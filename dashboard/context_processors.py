from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from integrations import live


def workspace(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"demo_login": settings.DEBUG}
    return {
        "now": timezone.now(),
        "membership": membership,
        "workspace": membership.workspace,
        "can_operate": membership.can("operate"),
        "can_manage": membership.can("manage"),
        "can_manage_team": membership.can("manage_team"),
        # The navigation's counts and the live poll's version: one query, only when a
        # page shows them (base.html), not for every fragment.
        "live": SimpleLazyObject(lambda: live.snapshot(membership.workspace)),
    }
