"""A private template engine for the sandbox's HTML pages.

It reads templates/sandbox/ only and runs no project context processors, so the fake
service renders even when the product apps are not installed (SANDBOX_ONLY).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.http import HttpResponse
from django.template import Engine, RequestContext

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


@lru_cache(maxsize=1)
def engine() -> Engine:
    return Engine(
        dirs=[str(TEMPLATE_DIR)],
        context_processors=[
            "django.template.context_processors.csrf",
            "django.template.context_processors.request",
        ],
        autoescape=True,
    )


def render_page(request, name: str, context: dict, status: int = 200) -> HttpResponse:
    html = engine().get_template(name).render(RequestContext(request, context))
    return HttpResponse(html, status=status)
