"""Fault injection for API calls (never for /oauth/* or /_control/*)."""

from __future__ import annotations

import random
import time

from django.http import JsonResponse

from sandbox.models import SandboxSettings

from . import errors


def maybe_fault(row: SandboxSettings) -> JsonResponse | None:
    """Return an injected error response, sleep for an injected delay, or do nothing."""
    if row.slow_rate and random.random() < row.slow_rate:
        time.sleep(max(0, row.slow_ms) / 1000)
    if row.error_rate and random.random() < row.error_rate:
        return errors.server_error(random.choice([500, 502, 503]))
    if row.rate_429 and random.random() < row.rate_429:
        response = errors.too_many_requests()
        response["Retry-After"] = "1"
        response["X-Sandbox-Fault"] = "injected"
        return response
    return None


def as_dict(row: SandboxSettings) -> dict:
    return {
        "error_rate": row.error_rate,
        "rate_429": row.rate_429,
        "slow_rate": row.slow_rate,
        "slow_ms": row.slow_ms,
    }


def update(row: SandboxSettings, data: dict) -> list[str]:
    problems: list[str] = []
    for name in ("error_rate", "rate_429", "slow_rate"):
        if name in data:
            try:
                value = float(data[name])
            except (TypeError, ValueError):
                problems.append(f"{name} must be a number")
                continue
            if not 0 <= value <= 1:
                problems.append(f"{name} must be between 0 and 1")
                continue
            setattr(row, name, value)
    if "slow_ms" in data:
        try:
            row.slow_ms = max(0, int(data["slow_ms"]))
        except (TypeError, ValueError):
            problems.append("slow_ms must be an integer")
    if not problems:
        row.save()
    return problems
