from __future__ import annotations

import json
from typing import Any

from django import template

from integrations import safejson

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON for people (a JSON string is parsed first; other text is kept)."""
    if isinstance(value, str):
        try:
            value = safejson.loads(value)
        except ValueError:  # not JSON, or nested too deep to render safely
            return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
