"""Browse and edit pages of the TimeTonic simulator (no login: TimeTonic's own screen).

Edits go through the same services as the API, so they run the same automations.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from sandbox.ghl.pages import render_page

from . import control, seed, services
from .models import TTAutomation, TTBook, TTDelivery, TTField, TTRow, TTTable

ROWS_SHOWN = 200


class AutomationForm(forms.Form):
    table = forms.ModelChoiceField(queryset=TTTable.objects.order_by("pk"))
    url = forms.URLField(max_length=500, assume_scheme="https")
    token = forms.CharField(max_length=300, required=False, help_text="sent as a Bearer token")
    event_prefix = forms.SlugField(max_length=50, initial="row")


def _row_form(table: TTTable, data=None, row: TTRow | None = None) -> forms.Form:
    form = forms.Form(data)
    for field in table.fields.all():
        name = f"f{field.pk}"
        current = (row.values if row else {}).get(str(field.pk))
        if field.type == "boolean":
            form.fields[name] = forms.BooleanField(label=field.name, required=False)
            form.initial[name] = bool(current)
        elif field.type == "link":
            choices = [("", "—")] + [
                (str(r.pk), f"{r.pk} {services._link_label(r.pk)}")
                for r in TTRow.objects.filter(table_id=field.link_table_id)[:ROWS_SHOWN]
            ]
            form.fields[name] = forms.ChoiceField(label=field.name, choices=choices, required=False)
            form.initial[name] = str(current[0]) if current else ""
        else:
            widget = forms.Textarea(attrs={"rows": 2}) if field.type == "mediumtext" else None
            form.fields[name] = forms.CharField(
                label=f"{field.name} ({field.type})", required=False, max_length=5000, widget=widget
            )
            form.initial[name] = "" if current is None else str(current)
    return form


def _values(table: TTTable, form: forms.Form) -> dict[str, object]:
    values: dict[str, object] = {}
    for field in table.fields.all():
        value = form.cleaned_data.get(f"f{field.pk}")
        values[str(field.pk)] = ([int(value)] if value else []) if field.type == "link" else value
    return values


def _table(cat_id: int) -> TTTable:
    table = TTTable.objects.select_related("book__owner").filter(pk=cat_id).first()
    if table is None:
        raise Http404("no such table")
    return table


@csrf_protect
def home(request):
    seed.seed()
    form = AutomationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        control.add_automation(d["table"], d["url"], d["token"], d["event_prefix"], False)
        return HttpResponseRedirect(reverse("sandbox:timetonic:ui"))
    return render_page(
        request,
        "sandbox/timetonic/home.html",
        {
            "books": TTBook.objects.order_by("pk").prefetch_related("tables"),
            "automations": TTAutomation.objects.select_related("table").order_by("pk"),
            "deliveries": TTDelivery.objects.all()[:30],
            "form": form,
            "stats": control.stats_dict(),
            "info": seed.info(),
        },
    )


def table(request, cat_id: int):
    table = _table(cat_id)
    fields = list(table.fields.all())
    rows = [(row, [services.cell(f, row) for f in fields]) for row in table.rows.all()[:ROWS_SHOWN]]
    return render_page(
        request, "sandbox/timetonic/table.html", {"table": table, "fields": fields, "rows": rows}
    )


@csrf_protect
def row_edit(request, cat_id: int, row_id: str):
    table = _table(cat_id)
    row = None
    if row_id != "new":
        row = TTRow.objects.filter(pk=int(row_id) if row_id.isdigit() else 0, table=table).first()
        if row is None:
            raise Http404("no such row")
    form = _row_form(table, request.POST or None, row)
    if request.method == "POST" and form.is_valid():
        try:
            services.write_row(
                table.book.owner, table, str(row.pk) if row else "tmpUI", _values(table, form)
            )
        except services.Nok as nok:
            form.add_error(None, nok.message)
        else:
            return HttpResponseRedirect(reverse("sandbox:timetonic:ui-table", args=[table.pk]))
    return render_page(
        request, "sandbox/timetonic/row.html", {"table": table, "row": row, "form": form}
    )


@csrf_protect
def row_delete(request, cat_id: int, row_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    table = _table(cat_id)
    if not TTRow.objects.filter(pk=row_id, table=table).exists():
        raise Http404("no such row")
    services.delete_row(table.book.owner, row_id)
    return HttpResponseRedirect(reverse("sandbox:timetonic:ui-table", args=[table.pk]))


@csrf_protect
def field_delete(request, cat_id: int, field_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    field = TTField.objects.filter(pk=field_id, table_id=cat_id).first()
    if field is None:
        raise Http404("no such field")
    for row in TTRow.objects.filter(table_id=cat_id):
        row.values.pop(str(field.pk), None)
        row.save(update_fields=["values"])
    field.delete()
    return HttpResponseRedirect(reverse("sandbox:timetonic:ui-table", args=[cat_id]))
