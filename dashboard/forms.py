from __future__ import annotations

from typing import Any

from django import forms

from integrations.connectors.base import Connector
from integrations.models import Role


class ScopesForm(forms.Form):
    """Which scopes to ask for; built from the connector's declared scopes."""

    def __init__(self, connector: type[Connector], *args: Any, initial_scopes=None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.connector = connector
        chosen = set(initial_scopes or connector.default_scopes())
        self.fields["scopes"] = forms.MultipleChoiceField(
            choices=[(s.name, s.name) for s in connector.scopes],
            widget=forms.CheckboxSelectMultiple,
            initial=[s.name for s in connector.scopes if s.name in chosen],
            error_messages={"required": "Choose at least one scope."},
        )

    def scope_rows(self) -> list[dict[str, Any]]:
        value = self["scopes"].value() or []
        return [
            {"scope": s, "checked": s.name in value, "id": f"scope-{s.name.replace('.', '-')}"}
            for s in self.connector.scopes
        ]


class TokenForm(ScopesForm):
    token = forms.CharField(
        label="Private Integration Token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        strip=True,
        max_length=2000,
    )
    account_id = forms.CharField(
        label="Location ID",
        max_length=100,
        help_text="Settings → Business Profile in HighLevel shows the location (sub-account) ID.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)


class RequireMfaForm(forms.Form):
    require_mfa = forms.BooleanField(required=False)
