"""Forms of a "Your App" (rest) connection's page: paths per object, rotation, reconnect."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from dashboard.forms import printable_ascii
from dashboard.views.wizard_forms import YourAppForm
from integrations.connectors.rest.manage import METHODS

# A path of the app's API: starts with "/", no spaces or control characters; {name}
# placeholders are filled from the step's parameters.
api_path = RegexValidator(r"^/[\x21-\x7e]*$", 'A path starts with "/" and has no spaces.')


class PathsForm(forms.Form):
    """One method and one path per object and verb (`rows` from rest.manage.object_rows)."""

    def __init__(self, rows: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            for v in row["verbs"]:
                prefix = f"{row['object']}__{v['verb']}"
                default = v["default"].get("method") or "GET"
                self.fields[f"{prefix}__method"] = forms.ChoiceField(
                    choices=[(m, m) for m in METHODS], initial=v["method"] or default
                )
                self.fields[f"{prefix}__path"] = forms.CharField(
                    required=False,
                    max_length=500,
                    validators=[api_path],
                    initial=v["path"],
                    widget=forms.TextInput(attrs={"placeholder": v["default"].get("path", "")}),
                )

    def table(self) -> list[dict[str, Any]]:
        """The rows with their bound fields, for the template."""
        out = []
        for row in self.rows:
            verbs = []
            for v in row["verbs"]:
                prefix = f"{row['object']}__{v['verb']}"
                verbs.append(
                    {
                        **v,
                        "method_field": self[f"{prefix}__method"],
                        "path_field": self[f"{prefix}__path"],
                    }
                )
            out.append({"object": row["object"], "verbs": verbs})
        return out

    def paths(self) -> dict[tuple[str, str], tuple[str, str]]:
        out = {}
        for row in self.rows:
            for v in row["verbs"]:
                prefix = f"{row['object']}__{v['verb']}"
                out[(row["object"], v["verb"])] = (
                    self.cleaned_data[f"{prefix}__method"],
                    self.cleaned_data[f"{prefix}__path"],
                )
        return out


class RotateForm(forms.Form):
    what = forms.ChoiceField(choices=[("secret", "webhook secret"), ("url", "inbound URL")])


class ReconnectForm(YourAppForm):
    """New credentials for an existing connection; blank secrets keep the stored ones."""

    webhook_secret = forms.CharField(
        label="Webhook secret (blank keeps the current one)",
        required=False,
        min_length=16,
        max_length=500,
        validators=[printable_ascii],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["label"]
        self.fields["api_key"].label = "API key / token (blank keeps the current one)"
        self.fields["password"].widget = forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off"}
        )
