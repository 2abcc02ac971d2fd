"""Alerts: the workspace's rules (owners and admins manage them), open incidents and the
log of every message sent or attempted (everyone sees it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.validators import URLValidator, validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.access import workspace_view
from integrations import tasks
from integrations.alerts import manage
from integrations.alerts.render import shown_target
from integrations.connectors import http
from integrations.connectors.base import ConnectorError
from integrations.models import AlertIncident, AlertRule, AuditEntry, Notification

LOG_SIZE = 100


class AlertRuleForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="When", choices=AlertRule.Kind.choices, initial=AlertRule.Kind.RUN_FAILED
    )
    target = forms.CharField(label="To (email address or URL)", max_length=500)

    class Meta:
        model = AlertRule
        fields = ["kind", "channel", "target", "threshold", "window_minutes"]
        labels = {
            "kind": "When",
            "channel": "Send by",
            "target": "To (email address or URL)",
            "threshold": "Error rate threshold (%)",
            "window_minutes": "Window (minutes)",
        }
        help_texts = {
            "threshold": "Only for error rate rules: percent of finished runs that failed.",
            "window_minutes": "Failures older than this are not alerted on; error rates are "
            "measured over it.",
        }

    def clean_threshold(self) -> float:
        value = self.cleaned_data["threshold"]
        if not 0 < value <= 100:
            raise forms.ValidationError("Give a percentage between 1 and 100.")
        return value

    def clean_window_minutes(self) -> int:
        value = self.cleaned_data["window_minutes"]
        if not 1 <= value <= 7 * 24 * 60:
            raise forms.ValidationError("Give between 1 minute and 7 days (10080 minutes).")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel, target = data.get("channel"), (data.get("target") or "").strip()
        if not channel or not target:
            return data
        if channel == AlertRule.Channel.EMAIL:
            try:
                validate_email(target)
            except forms.ValidationError:
                self.add_error("target", "Enter a valid email address.")
            return data
        try:
            URLValidator(schemes=["http", "https"])(target)
            http.check_target(target)
        except forms.ValidationError:
            self.add_error("target", "Enter a valid http(s) URL.")
        except ConnectorError as exc:
            self.add_error("target", exc.message)
        data["target"] = target
        return data


def _get_rule(request: HttpRequest, pk: int) -> AlertRule:
    return get_object_or_404(AlertRule, pk=pk, workspace=request.workspace)  # type: ignore[attr-defined]


def _log(request: HttpRequest) -> list[Notification]:
    notifications = list(
        Notification.objects.filter(workspace=request.workspace)  # type: ignore[attr-defined]
        .select_related("rule", "incident")
        .order_by("-created", "-pk")[:LOG_SIZE]
    )
    for notification in notifications:
        notification.shown_target = shown_target(notification.channel, notification.target)  # type: ignore[attr-defined]
    return notifications


# Webhook and Slack URLs carry secrets: out of DEBUG error pages and error reports.
@sensitive_post_parameters("target")
@require_http_methods(["GET", "POST"])
@workspace_view("view")
@sensitive_variables()
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace  # type: ignore[attr-defined]
    form = AlertRuleForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can("manage"):  # type: ignore[attr-defined]
            return HttpResponse("Only owners and admins manage alert rules.", status=403)
        if form.is_valid():
            rule = form.save(commit=False)
            rule.workspace = workspace
            rule.save()
            AuditEntry.record(workspace, request.user, "alert_rule.created", str(rule))
            messages.success(request, f"Alert rule added: {rule.get_kind_display()}.")
            return redirect("dashboard:alerts")
    rules = list(AlertRule.objects.filter(workspace=workspace).order_by("kind", "pk"))
    for rule in rules:
        rule.shown_target = shown_target(rule.channel, rule.target)  # type: ignore[attr-defined]
    incidents = (
        AlertIncident.objects.filter(rule__workspace=workspace, resolved__isnull=True)
        .select_related("rule")
        .order_by("-opened")
    )
    return render(
        request,
        "dashboard/alerts.html",
        {
            "title": "Alerts",
            "form": form,
            "rules": rules,
            "incidents": incidents,
            "notifications": _log(request),
        },
    )


@require_GET
@workspace_view("view")
def log(request: HttpRequest) -> HttpResponse:
    """The alerts log alone (the page polls it)."""
    return render(request, "dashboard/alerts.html#alerts-log", {"notifications": _log(request)})


@require_POST
@workspace_view("manage")
def toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule(request, pk)
    rule.enabled = not rule.enabled
    rule.save(update_fields=["enabled"])
    action = "enabled" if rule.enabled else "disabled"
    AuditEntry.record(rule.workspace, request.user, f"alert_rule.{action}", str(rule))
    messages.success(request, f"Alert rule {action}.")
    return redirect("dashboard:alerts")


@require_POST
@workspace_view("manage")
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule(request, pk)
    AuditEntry.record(rule.workspace, request.user, "alert_rule.deleted", str(rule))
    rule.delete()
    messages.success(request, "Alert rule deleted.")
    return redirect("dashboard:alerts")


@require_POST
@workspace_view("manage")
def test(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule(request, pk)
    tasks.send_test_alert(rule.pk)
    messages.success(
        request, f"Test message queued to {shown_target(rule.channel, rule.target)}; see the log."
    )
    return redirect("dashboard:alerts")


# --- one rule: edit, mute, history ------------------------------------------------------


class EditRuleForm(AlertRuleForm):
    """The add form, with the destination optional: left empty, the rule keeps its own
    (a webhook URL is a secret and is never shown back)."""

    def __init__(self, *args: Any, rule: AlertRule, **kwargs: Any) -> None:
        self.rule = rule
        # A copy: validating a ModelForm writes the cleaned values onto its instance, and
        # manage.update_rule compares them with the rule as stored.
        copy = AlertRule.objects.get(pk=rule.pk)
        super().__init__(*args, instance=copy, **kwargs)
        self.fields["target"].required = False
        self.fields["target"].help_text = "Leave empty to keep the current destination."
        self.initial["target"] = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("target") or "").strip() and "target" not in self.errors:
            if data.get("channel") and data["channel"] != self.rule.channel:
                self.add_error("target", "Give the new destination for this channel.")
            else:
                data["target"] = self.rule.target
        return data


MUTE_CHOICES = [
    ("", "Choose"),
    ("1", "1 hour"),
    ("8", "8 hours"),
    ("24", "1 day"),
    ("168", "7 days"),
]


class MuteForm(forms.Form):
    hours = forms.TypedChoiceField(
        choices=MUTE_CHOICES, coerce=int, required=False, empty_value=None
    )
    until = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="or until",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("hours"):
            data["until"] = timezone.now() + timedelta(hours=data["hours"])
        elif not data.get("until"):
            raise forms.ValidationError("Choose how long, or until when.")
        return data


def _rule_page(
    request: HttpRequest, rule: AlertRule, form: EditRuleForm, mute_form: MuteForm, status: int
) -> HttpResponse:
    rule.shown_target = shown_target(rule.channel, rule.target)  # type: ignore[attr-defined]
    notifications = manage.history(rule)
    for notification in notifications:
        notification.shown_target = shown_target(notification.channel, notification.target)  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard/alert_rule.html",
        {
            "title": f"Alert rule: {rule.get_kind_display()}",
            "rule": rule,
            "form": form,
            "mute_form": mute_form,
            "muted": rule.muted(),
            "notifications": notifications,
        },
        status=status,
    )


@sensitive_post_parameters("target")
@require_http_methods(["GET", "POST"])
@workspace_view("view")
@sensitive_variables()
def rule(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the rule, its edit form and its history; POST (owners and admins): save it."""
    alert_rule = _get_rule(request, pk)
    form = EditRuleForm(request.POST or None, rule=alert_rule)
    if request.method == "POST":
        if not request.membership.can("manage"):  # type: ignore[attr-defined]
            return HttpResponse("Only owners and admins manage alert rules.", status=403)
        if form.is_valid():
            changed = manage.update_rule(alert_rule, request.user, form.cleaned_data)
            messages.success(
                request,
                "Alert rule saved." if changed else "Nothing changed.",
            )
            return redirect("dashboard:alert_rule", pk=alert_rule.pk)
        alert_rule.refresh_from_db()
    status = 400 if request.method == "POST" else 200
    return _rule_page(request, alert_rule, form, MuteForm(), status)


@require_POST
@workspace_view("manage")
def mute(request: HttpRequest, pk: int) -> HttpResponse:
    alert_rule = _get_rule(request, pk)
    form = MuteForm(request.POST)
    if form.is_valid():
        try:
            manage.mute(alert_rule, request.user, form.cleaned_data["until"])
        except manage.MuteRefused as exc:
            form.add_error("until", str(exc))
        else:
            until = timezone.localtime(form.cleaned_data["until"])
            messages.success(request, f"Muted until {until:%b %-d, %H:%M}.")
            return redirect("dashboard:alert_rule", pk=alert_rule.pk)
    return _rule_page(request, alert_rule, EditRuleForm(rule=alert_rule), form, 400)


@require_POST
@workspace_view("manage")
def unmute(request: HttpRequest, pk: int) -> HttpResponse:
    alert_rule = _get_rule(request, pk)
    manage.unmute(alert_rule, request.user)
    messages.success(request, "Alert rule unmuted: its next messages are sent.")
    return redirect("dashboard:alert_rule", pk=alert_rule.pk)
