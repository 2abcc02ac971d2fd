from __future__ import annotations

from django import forms

from integrations.connectors.registry import kind_choices

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


class YourAppForm(forms.Form):
    label = forms.CharField(max_length=120, initial="Your App")
    base_url = forms.URLField(label="Base URL of the API", required=False, assume_scheme="https")
    auth_type = forms.ChoiceField(choices=AUTH_CHOICES, initial="bearer")
    api_key = forms.CharField(
        label="API key / token",
        required=False,
        # Never rendered back: a failed test must not put the key into the page.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    header_name = forms.CharField(required=False, initial="X-API-Key")
    username = forms.CharField(required=False)
    password = forms.CharField(
        required=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    webhook_url = forms.URLField(
        label="Webhook URL (where Syncdeck posts events)", required=False, assume_scheme="https"
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("base_url") and not data.get("webhook_url"):
            raise forms.ValidationError("Give the app's base URL, its webhook URL, or both.")
        return data
