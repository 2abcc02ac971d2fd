from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import RegexValidator

from dashboard.forms import MAX_PK, NumberField, printable_ascii
from integrations.connectors.registry import kind_choices
from integrations.wizard import fields
from integrations.wizard.params import MAX_PARAMS

AUTH_CHOICES = [
    ("bearer", "Bearer token (Authorization: Bearer …)"),
    ("header", "API key in a header"),
    ("basic", "Username and password (Basic)"),
    ("none", "None (webhooks only)"),
]


class NewIntegrationForm(forms.Form):
    name = forms.CharField(max_length=120, initial="HighLevel ⇄ Your App")
    a_kind = forms.ChoiceField(label="First app", choices=kind_choices, initial="ghl")
    b_kind = forms.ChoiceField(label="Second app", choices=kind_choices, initial="rest")


# Header names are RFC 9110 tokens; Basic credentials are sent as Latin-1.
header_token = RegexValidator(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", "Not a valid HTTP header name.")
latin1_text = RegexValidator(
    r"^[\x20-\x7e\xa0-\xff]+$", "Use Latin letters, digits and punctuation."
)


class YourAppForm(forms.Form):
    label = forms.CharField(max_length=120, initial="Your App")
    base_url = forms.URLField(label="Base URL of the API", required=False, assume_scheme="https")
    auth_type = forms.ChoiceField(choices=AUTH_CHOICES, initial="bearer")
    api_key = forms.CharField(
        label="API key / token",
        required=False,
        max_length=2000,
        validators=[printable_ascii],
        # Never rendered back: a failed test must not put the key into the page.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    header_name = forms.CharField(
        required=False, initial="X-API-Key", max_length=100, validators=[header_token]
    )
    username = forms.CharField(required=False, max_length=200, validators=[latin1_text])
    password = forms.CharField(
        required=False,
        max_length=2000,
        validators=[latin1_text],
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    webhook_url = forms.URLField(
        label="Webhook URL (where Syncdeck posts events)", required=False, assume_scheme="https"
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("base_url") and not data.get("webhook_url"):
            raise forms.ValidationError("Give the app's base URL, its webhook URL, or both.")
        return data


# --- the steps' parameters (issue #8: bounded, never a 500) --------------------------------

SIDE_CHOICES = [("a", "a"), ("b", "b")]
ROW_FIELD = re.compile(
    r"^r(\d{1,6})-(target|source|const|transforms|default|required|delete|ref|only_on|extra)$"
)
PARAM_FIELD = re.compile(r"^p(\d{1,6})-(name|source|ref|const)$")
# The most steps a flow's map step offers to pick from (flows have one to three).
MAX_STEPS = 20


class TextListField(forms.Field):
    """Repeated text values (`events=A&events=B`), each plain text of bounded length."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_length: int = 200, max_items: int = 100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length, self.max_items = max_length, max_items

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if not isinstance(value, list | tuple) or len(value) > self.max_items:
            raise forms.ValidationError("Too many values.")
        text = forms.CharField(max_length=self.max_length, required=False)
        return [text.clean(v) for v in value]


def form_errors(form: forms.Form) -> list[str]:
    """A form's errors as sentences: "Label: message"."""
    out = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        out += [f"{label}: {e}" if label else str(e) for e in errors]
    return out


class MapForm(forms.Form):
    """The map editor's post: which flow and step, how many rows and parameters, their text."""

    flow = forms.CharField(required=False, max_length=100)
    step = NumberField(label="Step", required=False, min_value=0, max_value=MAX_STEPS - 1)
    rows = NumberField(
        label="Number of mapping rows", required=False, min_value=0, max_value=fields.MAX_ROWS
    )
    params = NumberField(
        label="Number of parameters", required=False, min_value=0, max_value=MAX_PARAMS
    )
    action = forms.ChoiceField(
        required=False, choices=[("save", "save"), ("add", "add"), ("suggest", "suggest")]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        cell = forms.CharField(required=False, max_length=2000, strip=False)
        for key in self.data:
            if not (ROW_FIELD.match(key) or PARAM_FIELD.match(key)):
                continue
            try:
                cell.clean(self.data.get(key))
            except forms.ValidationError as exc:
                self.add_error(None, f"Row {key}: {' '.join(exc.messages)}")
                continue
            if key.endswith("-extra") and fields.extra_of(str(self.data.get(key))) is None:
                self.add_error(None, f"Row {key}: unreadable (a small JSON object expected).")
        if self.cleaned_data.get("action") == "add" and (data.get("rows") or 0) >= fields.MAX_ROWS:
            self.add_error("rows", f"A step maps at most {fields.MAX_ROWS} fields.")
        return data


class MapQueryForm(forms.Form):
    """The map step's query; an invalid value is ignored (the first flow and step show)."""

    flow = forms.CharField(required=False, max_length=100)
    step = NumberField(required=False, min_value=0, max_value=MAX_STEPS - 1)


class TestStepForm(forms.Form):
    """The test step's query; an invalid value is ignored (the page shows no run)."""

    flow = forms.CharField(required=False, max_length=100)
    run = forms.UUIDField(required=False)


class PublishQueryForm(forms.Form):
    backfill = NumberField(required=False, min_value=1, max_value=MAX_PK)


class PublishForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=300)
    backfill = forms.CharField(required=False, max_length=30)


class FlowsForm(forms.Form):
    """The "what flows where" step's post: a template, a flow from scratch, or remove one."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("template", "scratch", "remove", "continue")],
        error_messages={"invalid_choice": "Unknown action.", "required": "Unknown action."},
    )
    side = forms.ChoiceField(label="Trigger app", required=False, choices=SIDE_CHOICES)
    template = forms.CharField(required=False, max_length=100)
    trigger_kind = forms.CharField(required=False, max_length=20)
    events = TextListField(required=False)
    poll_operation = forms.CharField(required=False, max_length=200)
    interval = NumberField(
        label="Polling interval (minutes)", required=False, min_value=1, max_value=15
    )
    operation = forms.CharField(required=False, max_length=200)
    update_operation = forms.CharField(required=False, max_length=200)
    object_type = forms.CharField(required=False, max_length=40)
    flow = forms.CharField(required=False, max_length=100)


class OperationsForm(forms.Form):
    side = forms.ChoiceField(required=False, choices=SIDE_CHOICES)
    q = forms.CharField(required=False, max_length=200)
    operation = forms.CharField(required=False, max_length=200)
