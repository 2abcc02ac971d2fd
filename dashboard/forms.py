from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from integrations.connectors.base import Connector
from integrations.models import Membership, Role

# The largest primary key (BigAutoField): a bound for every id that comes from a request.
MAX_PK = 2**63 - 1

# What an HTTP header can carry: a token typed with other characters cannot be sent (and
# int() reads Arabic-Indic digits, so "looks like a number" is no test either).
printable_ascii = RegexValidator(
    r"^[\x21-\x7e]+$",
    "Use only the token's letters, digits and punctuation (no spaces or other characters).",
)


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
        validators=[printable_ascii],
    )
    account_id = forms.CharField(
        label="Location ID",
        max_length=100,
        validators=[printable_ascii],
        help_text="Settings → Business Profile in HighLevel shows the location (sub-account) ID.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OPERATOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class RequireMfaForm(forms.Form):
    require_mfa = forms.BooleanField(required=False)


# --- bad input (issue #8): every parameter through a form ----------------------------------


class NumberField(forms.IntegerField):
    """A whole number written with ASCII digits: int() also reads "١٢٣", a person should not."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def is_local_path(value: str, request: HttpRequest) -> bool:
    """A path of this site ("/runs/?x=1"); never a scheme, another host or a view name."""
    return (
        value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not any(c.isspace() or unicodedata.category(c).startswith("C") for c in value)
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )


class NextForm(forms.Form):
    """Where to go after an action; anything but a local path is refused."""

    next = forms.CharField(required=False, max_length=2000, strip=False)

    def __init__(self, request: HttpRequest, data: Any) -> None:
        super().__init__(data)
        self.request = request

    def clean_next(self) -> str:
        value = self.cleaned_data["next"]
        if value and not is_local_path(value, self.request):
            raise forms.ValidationError("Not a page of this site.")
        return value


def safe_next(request: HttpRequest, default: str, data: Any = None) -> str:
    """The posted `next` if it is a local path, else `default` (an invalid one never errors)."""
    form = NextForm(request, request.POST if data is None else data)
    return (form.cleaned_data["next"] if form.is_valid() else "") or default


class SwitchWorkspaceForm(forms.Form):
    workspace = NumberField(min_value=1, max_value=MAX_PK)

    def __init__(self, user: Any, data: Any) -> None:
        super().__init__(data)
        self.user = user

    def clean_workspace(self) -> int:
        pk = self.cleaned_data["workspace"]
        if not Membership.objects.filter(user=self.user, workspace_id=pk).exists():
            raise forms.ValidationError("You are not a member of that workspace.")
        return pk


class PauseForm(forms.Form):
    reason = forms.CharField(required=False, strip=True)

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"][:300]
