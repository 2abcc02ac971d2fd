"""The fault switch: injected slowness, server errors and 429s, from a row's rates.

The row (a simulator's settings model) has ``error_rate``, ``rate_429``, ``slow_rate``
(0..1) and ``slow_ms``. Faults are for API calls only, never for control endpoints.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse

RATES = ("error_rate", "rate_429", "slow_rate")
FIELDS = (*RATES, "slow_ms")


def maybe_fault(
    row: Any,
    server_error: Callable[[], HttpResponse],
    too_many_requests: Callable[[], HttpResponse],
) -> HttpResponse | None:
    """Sleep for an injected delay, return an injected error or 429, or do nothing."""
    if row.slow_rate and random.random() < row.slow_rate:
        time.sleep(max(0, row.slow_ms) / 1000)
    if row.error_rate and random.random() < row.error_rate:
        return server_error()
    if row.rate_429 and random.random() < row.rate_429:
        response = too_many_requests()
        response["Retry-After"] = "1"
        response["X-Sandbox-Fault"] = "injected"
        return response
    return None


def as_dict(row: Any) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def clean(name: str, value: Any) -> tuple[float | int | None, str]:
    """(value, "") for a valid rate or slow_ms, else (None, what is wrong with it)."""
    if name == "slow_ms":
        try:
            return max(0, int(value)), ""
        except (TypeError, ValueError):
            return None, "must be an integer"
    try:
        rate = float(value)
    except (TypeError, ValueError):
        return None, "must be a number"
    if not 0 <= rate <= 1:
        return None, "must be between 0 and 1"
    return rate, ""
