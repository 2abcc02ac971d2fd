"""CSV import and export pages for apps that declare `csv_objects` (Time To Pet, PT
Distinction): upload → preview and map the columns → start → progress → per-row report;
and HighLevel contacts → CSV for the app's import screen.

The work is in `integrations/csvio` (parsing, mapping, the workers); these views only
check access, validate forms and render.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from dashboard.access import get_connection, workspace_view
from integrations.connectors.base import ConnectorError
from integrations.connectors.rest import manage
from integrations.csvio import columns as cols
from integrations.csvio import exports, imports
from integrations.csvio.parse import CSVError, max_bytes
from integrations.models import AuditEntry, Connection, ImportBatch

PREVIEW_ROWS = 5


# --- forms -----------------------------------------------------------------------------
def _ghl_choices(request: HttpRequest) -> list[tuple[str, str]]:
    connections = request.workspace.connections.filter(kind="ghl")  # type: ignore[attr-defined]
    return [(str(c.code), str(c)) for c in connections]


def _object_choices(connection: Connection) -> list[tuple[str, str]]:
    return [(name, obj.label) for name, obj in type(connection.connector).csv_objects.items()]


class UploadForm(forms.Form):
    object_name = forms.ChoiceField(label="What the file holds")
    target = forms.ChoiceField(label="Import into (HighLevel)")
    file = forms.FileField(label="CSV file", allow_empty_file=False)

    def __init__(self, connection: Connection, ghl: list[tuple[str, str]], *args: Any) -> None:
        super().__init__(*args)
        self.fields["object_name"].choices = _object_choices(connection)
        self.fields["target"].choices = ghl

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; the limit is "
                f"{max_bytes() / 1_048_576:.0f} MB."
            )
        return upload


class ExportForm(forms.Form):
    object_name = forms.ChoiceField(label="For")
    target = forms.ChoiceField(label="Contacts of (HighLevel)")
    columns = forms.MultipleChoiceField(
        label="Columns", choices=exports.EXPORTABLE, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, connection: Connection, ghl: list[tuple[str, str]], *args: Any) -> None:
        super().__init__(*args)
        self.fields["object_name"].choices = _object_choices(connection)
        self.fields["target"].choices = ghl
        objects = type(connection.connector).csv_objects
        first = next(iter(objects.values()), None)
        defaults = [path for path, _ in (first.export_columns if first else ())]
        self.fields["columns"].initial = defaults or ["firstName", "lastName", "email", "phone"]


class MappingForm(forms.Form):
    """One target and one transform per column of the file."""

    def __init__(
        self, batch: ImportBatch, targets: list[tuple[str, str]], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch
        transforms = [(value, label) for value, (label, _) in cols.TRANSFORMS.items()]
        obj = type(batch.source.connector).csv_objects.get(batch.object_name)
        suggested = {c.key: c for c in cols.suggest(imports.batch_columns(batch), obj)}
        known = {value for value, _ in targets}
        for key, header in batch.columns:
            first = suggested.get(key) or cols.Choice(key)
            self.fields[f"t_{key}"] = forms.ChoiceField(
                label=header,
                choices=targets,
                required=False,
                initial=first.target if first.target in known else cols.SKIP,
            )
            self.fields[f"x_{key}"] = forms.ChoiceField(
                label=f"{header}: transform", choices=transforms, required=False
            )
            self.fields[f"x_{key}"].initial = first.transform

    def lines(self, preview: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
        """(header, first values, target field, transform field) per column."""
        return [
            (
                header,
                " · ".join(str(row.get(key, ""))[:40] for row in preview),
                self[f"t_{key}"],
                self[f"x_{key}"],
            )
            for key, header in self.batch.columns
        ]

    def choices(self) -> list[cols.Choice]:
        data = self.cleaned_data
        return [
            cols.Choice(key, data.get(f"t_{key}") or "", data.get(f"x_{key}") or "")
            for key, _ in self.batch.columns
        ]


class ResumeForm(forms.Form):
    resume = forms.BooleanField(required=True)


# --- helpers ---------------------------------------------------------------------------
def _csv_connection(request: HttpRequest, code: UUID) -> Connection:
    connection = get_connection(request, code)
    if not type(connection.connector).csv_objects:
        raise Http404("this app does not exchange CSV files")
    return connection


def _batch(request: HttpRequest, code: UUID) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.select_related("source", "target"),
        code=code,
        workspace=request.workspace,  # type: ignore[attr-defined]
    )


def _ghl(request: HttpRequest, code: str) -> Connection:
    return get_object_or_404(
        Connection,
        code=code,
        kind="ghl",
        workspace=request.workspace,  # type: ignore[attr-defined]
    )


def _targets(target: Connection) -> list[tuple[str, str]]:
    """Where a column may go, with the HighLevel location's custom fields when readable."""
    try:
        custom = target.connector.custom_field_names("contact")
    except (ConnectorError, NotImplementedError):
        custom = {}
    return cols.target_choices(custom)


class RevealForm(forms.Form):
    reveal = forms.BooleanField(required=True)


@sensitive_variables()
def _inbound(request: HttpRequest, connection: Connection, reveal: bool) -> dict[str, Any]:
    """The inbound URL of an app that takes X-Webhook-Secret posts and its secret, masked;
    in full when someone who may manage the connection asks (POST), which is audited. (The
    "shown once" flag of a new secret is left to the app's own setup page, if it has one.)"""
    connector = connection.connector
    if connector.inbound_auth != "header_secret" or not connector.inbound_path:
        return {}
    secret = str(connection.credentials.get("webhook_secret") or "")
    if reveal:
        AuditEntry.record(
            connection.workspace, request.user, "connection.secret_revealed", str(connection)
        )
    return {
        "inbound_url": request.build_absolute_uri(connector.inbound_path),
        "fresh_secret": secret if reveal else "",
        "masked_secret": manage.mask(secret),
    }


# --- views -----------------------------------------------------------------------------
@workspace_view("view")
def index(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _csv_connection(request, code)
    reveal = False
    if request.method == "POST":
        if not request.membership.can("manage"):  # type: ignore[attr-defined]
            return HttpResponse("your role may not see the secret", status=403)
        reveal = RevealForm(request.POST).is_valid()
    ghl = _ghl_choices(request)
    batches = ImportBatch.objects.filter(
        workspace=request.workspace,  # type: ignore[attr-defined]
        source=connection,
    ).select_related("target")[:20]
    response = render(
        request,
        "dashboard/csv_index.html",
        {
            **_inbound(request, connection, reveal),
            "connection": connection,
            "objects": type(connection.connector).csv_objects,
            "upload": UploadForm(connection, ghl),
            "export": ExportForm(connection, ghl),
            "ghl": ghl,
            "batches": batches,
            "title": f"CSV files for {connection}",
        },
    )
    response["Cache-Control"] = "no-store"  # the page may carry the secret
    return response


@require_POST
@workspace_view("manage")
def upload(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _csv_connection(request, code)
    form = UploadForm(connection, _ghl_choices(request), request.POST, request.FILES)
    if form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            batch = imports.create_batch(
                request.workspace,  # type: ignore[attr-defined]
                request.user,
                connection,
                _ghl(request, form.cleaned_data["target"]),
                form.cleaned_data["object_name"],
                upload_file.name or "upload.csv",
                upload_file.read(),
            )
        except CSVError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("dashboard:csv_batch", batch.code)
    return render(
        request,
        "dashboard/csv_index.html",
        {
            "connection": connection,
            "objects": type(connection.connector).csv_objects,
            "upload": form,
            "export": ExportForm(connection, _ghl_choices(request)),
            "ghl": _ghl_choices(request),
            "batches": [],
            "title": f"CSV files for {connection}",
        },
        status=400,
    )


@require_POST
@workspace_view("operate")
def export(request: HttpRequest, code: UUID) -> HttpResponse:
    connection = _csv_connection(request, code)
    form = ExportForm(connection, _ghl_choices(request), request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a HighLevel connection and at least one column.")
        return redirect("dashboard:csv_index", connection.code)
    headers = dict(exports.EXPORTABLE)
    chosen = [(path, headers[path]) for path in form.cleaned_data["columns"]]
    batch = exports.start(
        request.workspace,  # type: ignore[attr-defined]
        request.user,
        connection,
        _ghl(request, form.cleaned_data["target"]),
        form.cleaned_data["object_name"],
        chosen,
    )
    return redirect("dashboard:csv_batch", batch.code)


@workspace_view("view")
def batch(request: HttpRequest, code: UUID) -> HttpResponse:
    found = _batch(request, code)
    draft = found.kind == ImportBatch.Kind.IMPORT and found.status == ImportBatch.Status.DRAFT
    form = None
    if draft:
        if request.method == "POST" and not request.membership.can("manage"):  # type: ignore[attr-defined]
            return HttpResponse("your role may not start imports", status=403)
        form = MappingForm(found, _targets(found.target), request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                imports.start(found, form.choices())
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Import of {found.total} rows started.")
                return redirect("dashboard:csv_batch", found.code)
    elif request.method == "POST":
        resume = ResumeForm(request.POST)
        if not resume.is_valid():
            return HttpResponse("this batch has started already", status=409)
        if not request.membership.can("manage"):  # type: ignore[attr-defined]
            return HttpResponse("your role may not resume imports", status=403)
        try:
            pending = imports.resume(found)
        except ValueError as exc:
            return HttpResponse(str(exc), status=409)
        messages.success(request, f"Sent the {pending} pending rows to the workers again.")
        return redirect("dashboard:csv_batch", found.code)
    preview = list(found.rows.order_by("line")[:PREVIEW_ROWS]) if draft else []
    return render(
        request,
        "dashboard/csv_batch.html",
        {
            "batch": found,
            "form": form,
            "lines": form.lines([row.data for row in preview]) if form is not None else [],
            "failures": found.rows.filter(status="failed").order_by("line")[:20]
            if found.kind == ImportBatch.Kind.IMPORT and not draft
            else [],
            "title": str(found),
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_GET
@workspace_view("view")
def progress(request: HttpRequest, code: UUID) -> HttpResponse:
    found = _batch(request, code)
    response = render(request, "dashboard/csv_batch.html#csv-progress", {"batch": found})
    if found.finished:
        return HttpResponseStopPolling(response.content)
    return response


@require_GET
@workspace_view("view")
def download(request: HttpRequest, code: UUID) -> HttpResponse:
    found = _batch(request, code)
    if found.kind == ImportBatch.Kind.EXPORT:
        if found.status != ImportBatch.Status.DONE:
            raise Http404("the export is not ready")
        body, name = found.output, found.filename or "contacts.csv"
    else:
        if found.status == ImportBatch.Status.DRAFT:
            raise Http404("the import has not started")
        body, name = imports.report_csv(found), f"report-{found.filename or 'import.csv'}"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_. ")[:120] or "file.csv"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
