"""Django forms built from a connector's declared fields (connect forms, settings forms)."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations.connectors.base import FormField


def _field(spec: FormField, *, keep_secret: bool) -> forms.Field:
    required = spec.required and not (spec.secret and keep_secret)
    common: dict[str, Any] = {
        "label": spec.label,
        "required": required,
        "help_text": spec.help
        + (" Leave blank to keep the stored value." if spec.secret and keep_secret else ""),
        "initial": spec.initial or None,
    }
    if spec.kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *spec.choices], **common)
    if spec.kind == "checkbox":
        common["required"] = False
        return forms.BooleanField(**common)
    if spec.kind == "int":
        return forms.IntegerField(**common)
    if spec.kind == "url":
        return forms.URLField(max_length=2000, assume_scheme="https", **common)
    if spec.kind == "email":
        return forms.EmailField(**common)
    if spec.kind == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, **common)
    if spec.secret or spec.kind == "password":
        widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
        return forms.CharField(widget=widget, max_length=2000, strip=True, **common)
    return forms.CharField(max_length=2000, strip=True, **common)


class DeclaredForm(forms.Form):
    """A form whose fields are a connector's `FormField`s, in their declared order."""

    def __init__(
        self,
        specs: tuple[FormField, ...],
        *args: Any,
        keep_secrets: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.specs = specs
        for spec in specs:
            self.fields[spec.name] = _field(spec, keep_secret=keep_secrets)
