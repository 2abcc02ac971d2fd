"""CSV import into the GHL sandbox and export from it (over real HTTP), and the dashboard
pages that drive them: upload → map → start → progress → per-row report; access checks."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from django.urls import reverse

from integrations.csvio import columns as cols
from integrations.csvio import exports, imports
from integrations.models import AuditEntry, Connection, ImportBatch, ImportRow
from tests.connectors.conftest import pit_connection

pytestmark = pytest.mark.django_db(transaction=True)


def ttp_connection(workspace) -> Connection:  # type: ignore[no-untyped-def]
    conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed", label="TTP")
    conn.credentials = {"feed_url": "https://example.invalid/feed.ics", "webhook_secret": "s"}
    conn.save()
    return conn


@pytest.fixture
def world(ghl_sandbox, workspace, owner):  # type: ignore[no-untyped-def]
    base = ghl_sandbox.url
    requests.post(base + "/sandbox/timetopet/_control/generate", json={}, timeout=30)
    paths = requests.get(base + "/sandbox/timetopet/_control/state", timeout=10).json()
    data = requests.get(base + paths["clients_csv"], timeout=10).content
    return {
        "base": base,
        "ghl": pit_connection(workspace),
        "ttp": ttp_connection(workspace),
        "csv": data,
        "owner": owner,
    }


def import_file(world, data: bytes, choices=None) -> ImportBatch:  # type: ignore[no-untyped-def]
    batch = imports.create_batch(
        world["ttp"].workspace, world["owner"], world["ttp"], world["ghl"], "client", "c.csv", data
    )
    obj = imports.csv_object(world["ttp"], "client")
    imports.start(batch, choices or cols.suggest(imports.batch_columns(batch), obj))
    batch.refresh_from_db()
    return batch


def ghl_contact(world, email: str) -> dict | None:  # type: ignore[no-untyped-def]
    found = world["ghl"].connector.call("get-duplicate-contact", email=email)
    return found.get("contact")


def test_the_client_csv_becomes_contacts_with_their_pets_in_a_note(world):
    batch = import_file(world, world["csv"])
    assert batch.status == ImportBatch.Status.DONE, batch.error
    assert (batch.total, batch.created_count, batch.failed_count) == (24, 24, 0)
    row = batch.rows.order_by("line").first()
    assert row is not None and row.status == ImportRow.Status.CREATED and row.target_id
    contact = ghl_contact(world, row.data["email"])
    assert contact["id"] == row.target_id and contact["firstName"] == row.data["first_name"]
    assert contact["phone"].startswith("+1212555")
    notes = world["ghl"].connector.call("get-all-notes", contactId=row.target_id)["notes"]
    assert len(notes) == 1 and f"Pets: {row.data['pets']}" in notes[0]["body"]

    again = import_file(world, world["csv"])  # the same file: updated, no second note
    assert (again.created_count, again.updated_count, again.failed_count) == (0, 24, 0)
    notes = world["ghl"].connector.call("get-all-notes", contactId=row.target_id)["notes"]
    assert len(notes) == 1


def test_each_row_gets_a_result_and_the_report_lists_them(world):
    data = (
        b"First Name,Last Name,Email,Mobile Phone,Pets\n"
        b"Ada,Ok,ada.ok@pets.example,+1 212 555 0199,Rex (Dog)\n"
        b"No,Contact,,,Tom (Cat)\n"
        b"Bad,Phone,bad.phone@pets.example,12,\n"
        b"=cmd,Formula,formula@pets.example,,\n"
    )
    batch = import_file(world, data)
    results = dict(batch.rows.values_list("line", "status"))
    assert results == {2: "created", 3: "failed", 4: "failed", 5: "created"}
    messages = dict(batch.rows.values_list("line", "message"))
    assert "no email or phone" in messages[3]
    assert "not a possible phone number" in messages[4] or "phone" in messages[4]
    report = list(csv.reader(io.StringIO(imports.report_csv(batch))))
    assert report[0][:4] == ["line", "result", "message", "highlevel_id"]
    assert report[0][4:] == ["First Name", "Last Name", "Email", "Mobile Phone", "Pets"]
    assert report[2][:2] == ["3", "failed"] and report[4][4] == "'=cmd"


def test_contacts_export_to_csv_with_the_chosen_columns(world):
    seeded = world["ghl"].connector.call("search-contacts-advanced", body={"pageLimit": 1})
    batch = exports.start(
        world["ttp"].workspace,
        world["owner"],
        world["ttp"],
        world["ghl"],
        "client",
        [("firstName", "First Name"), ("email", "Email"), ("tags", "Tags")],
    )
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.error
    rows = list(csv.reader(io.StringIO(batch.output)))
    assert rows[0] == ["First Name", "Email", "Tags"]
    assert len(rows) - 1 == batch.total == seeded["total"]
    assert seeded["contacts"][0]["email"] in {r[1] for r in rows[1:]}


# --- the pages ----------------------------------------------------------------------------
def test_the_pages_take_a_file_from_upload_to_report(world, client):
    client.force_login(world["owner"])
    card = client.get(reverse("dashboard:connections"))
    assert reverse("dashboard:csv_index", args=[world["ttp"].code]) in card.content.decode()
    page = client.get(reverse("dashboard:csv_index", args=[world["ttp"].code]))
    assert page.status_code == 200 and b"nothing is ever written into Time To Pet" in page.content
    upload = reverse("dashboard:csv_upload", args=[world["ttp"].code])
    bad = client.post(
        upload,
        {
            "object_name": "client",
            "target": str(world["ghl"].code),
            "file": io.BytesIO(b"a,b\n1,2,3\n"),
        },
    )
    assert bad.status_code == 400 and b"Line 2 has 3 values" in bad.content
    answer = client.post(
        upload,
        {
            "object_name": "client",
            "target": str(world["ghl"].code),
            "file": _named(world["csv"], "clients.csv"),
        },
    )
    batch = ImportBatch.objects.get(source=world["ttp"])
    assert answer.status_code == 302 and answer["Location"].endswith(f"/csv/{batch.code}/")
    mapping = client.get(answer["Location"])
    html = mapping.content.decode()
    assert 'name="t_email"' in html and "marigold.featherstone0@pets.example" in html
    form = {f"t_{key}": "" for key, _ in batch.columns}
    form.update({"t_email": "email", "x_email": "lower", "t_first_name": "firstName"})
    form["t_pets"] = "note"
    started = client.post(answer["Location"], form)
    assert started.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.created_count == 24
    progress = client.get(
        reverse("dashboard:csv_progress", args=[batch.code]), HTTP_HX_REQUEST="true"
    )
    assert progress.status_code == 286 and b"24 created" in progress.content
    report = client.get(reverse("dashboard:csv_download", args=[batch.code]))
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.decode().count("created contact") == 24
    assert client.post(answer["Location"], form).status_code == 409  # started already
    assert client.post(answer["Location"], {"resume": "1"}).status_code == 409  # finished


def test_a_stalled_import_resumes_its_pending_rows_only(world, client, settings):
    batch = imports.create_batch(
        world["ttp"].workspace,
        world["owner"],
        world["ttp"],
        world["ghl"],
        "client",
        "c.csv",
        world["csv"],
    )
    obj = imports.csv_object(world["ttp"], "client")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    sent: list = []
    from integrations.csvio import imports as module

    original = module._send
    module._send = lambda batch_id, chunks: sent.append(chunks)  # the broker was down
    try:
        imports.start(batch, cols.suggest(imports.batch_columns(batch), obj))
    finally:
        module._send = original
        celery_app.conf.task_always_eager = True
    batch.refresh_from_db()
    assert sent and batch.status == ImportBatch.Status.QUEUED and batch.processed == 0
    client.force_login(world["owner"])
    url = reverse("dashboard:csv_batch", args=[batch.code])
    assert b"Resume" in client.get(url).content
    assert client.post(url, {"resume": "1"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.created_count == 24


def check_a_mapping_without_email_or_phone_is_refused_on_the_page(world, client, batch):
    client.force_login(world["owner"])
    form = {f"t_{key}": "" for key, _ in batch.columns}
    answer = client.post(reverse("dashboard:csv_batch", args=[batch.code]), form)
    assert answer.status_code == 400 and b"holds the email" in answer.content
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DRAFT


def _named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_it_checks_ownership_and_roles(world, client, outsider, viewer, operator):
    batch = imports.create_batch(
        world["ttp"].workspace,
        world["owner"],
        world["ttp"],
        world["ghl"],
        "client",
        "c.csv",
        world["csv"],
    )
    code = world["ttp"].code
    urls = [
        reverse("dashboard:csv_index", args=[code]),
        reverse("dashboard:csv_batch", args=[batch.code]),
        reverse("dashboard:csv_progress", args=[batch.code]),
    ]
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("dashboard:csv_upload", args=[code])).status_code == 404
    client.force_login(viewer)
    assert client.get(urls[0]).status_code == 200
    assert client.post(reverse("dashboard:csv_upload", args=[code])).status_code == 403
    assert client.post(reverse("dashboard:csv_export", args=[code])).status_code == 403
    assert client.post(urls[1], {}).status_code == 403
    client.force_login(operator)
    assert client.post(reverse("dashboard:csv_upload", args=[code])).status_code == 403
    # A connection of an app without CSV support has no CSV pages.
    client.force_login(world["owner"])
    assert client.get(reverse("dashboard:csv_index", args=[world["ghl"].code])).status_code == 404
    check_a_mapping_without_email_or_phone_is_refused_on_the_page(world, client, batch)


def test_the_inbound_secret_is_shown_to_a_manager_who_asks(workspace, owner, viewer, client):
    conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed", label="TTP")
    conn.connector.configure({"feed_url": "webcal://feeds.example.invalid/company/abc.ics"})
    conn.save()
    assert conn.credentials["feed_url"].startswith("https://feeds.example.invalid/")
    secret = conn.credentials["webhook_secret"]
    url = reverse("dashboard:csv_index", args=[conn.code])
    client.force_login(viewer)
    page = client.get(url).content.decode()
    assert conn.connector.inbound_path in page and secret not in page
    assert client.post(url, {"reveal": "1"}).status_code == 403
    client.force_login(owner)
    page = client.get(url)
    assert secret not in page.content.decode() and b"reveal-secret" in page.content
    shown = client.post(url, {"reveal": "1"})
    assert secret in shown.content.decode() and shown["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="connection.secret_revealed").count() == 1
    # A "shown once" flag is left alone: an app's own setup page uses it (PT Distinction's).
    ptd_like = Connection.objects.get(pk=conn.pk)
    ptd_like.config = {**ptd_like.config, "webhook_secret_unseen": True}
    ptd_like.save()
    client.post(url, {"reveal": "1"})
    ptd_like.refresh_from_db()
    assert ptd_like.config.get("webhook_secret_unseen") is True
