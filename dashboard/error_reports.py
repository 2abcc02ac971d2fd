"""What Django's error pages and error reports may show."""

from __future__ import annotations

from typing import Any

from django.views.debug import SafeExceptionReporterFilter


class SecretsHiddenFilter(SafeExceptionReporterFilter):
    """Honour sensitive_post_parameters and sensitive_variables with DEBUG on too.

    Django's filter only hides them when DEBUG is off, but the demo runs with DEBUG on
    and a token typed into it is a real one: its technical 500 page must show ********.
    """

    def is_active(self, request: Any) -> bool:
        return True
