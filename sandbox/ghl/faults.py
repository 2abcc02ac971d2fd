"""Fault injection for API calls (never for /oauth/* or /_control/*), GHL-shaped."""

from __future__ import annotations

import random

from django.http import HttpResponse

from sandbox.kit import faults
from sandbox.models import SandboxSettings

from . import errors

as_dict = faults.as_dict


def maybe_fault(row: SandboxSettings) -> HttpResponse | None:
    """Return an injected error response, sleep for an injected delay, or do nothing."""
    return faults.maybe_fault(
        row, lambda: errors.server_error(random.choice([500, 502, 503])), errors.too_many_requests
    )


def update(row: SandboxSettings, data: dict) -> list[str]:
    problems: list[str] = []
    for name in faults.FIELDS:
        if name in data:
            value, problem = faults.clean(name, data[name])
            if problem:
                problems.append(f"{name} {problem}")
            else:
                setattr(row, name, value)
    if not problems:
        row.save()
    return problems
