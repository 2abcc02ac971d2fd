"""The demo TimeTonic account: a user with known keys and a book holding Contacts, Tasks,
Notes and Appointments tables (rows linked to their contact)."""

from __future__ import annotations

from django.db import transaction

from .models import (
    TTAppkey,
    TTAutomation,
    TTBook,
    TTConfig,
    TTDelivery,
    TTField,
    TTOauthkey,
    TTRow,
    TTSession,
    TTTable,
    TTUser,
)
from .services import table_dict

O_U = "syncdeck_demo"
LOGIN = "api_syncdeck"
PASSWORD = "tt-demo-password"
APPNAME = "syncdeck"
APPKEY = "tt-demo-appkey"
OAUTHKEY = "tt-demo-oauthkey"
SESSKEY = "tt-demo-sesskey"
B_C = "syncdeck-crm"
BOOK_TITLE = "Syncdeck CRM (demo)"

TABLES: dict[str, list[tuple[str, str, str]]] = {
    # name → [(field name, type, linked table)]
    "Contacts": [
        ("First name", "shorttext", ""),
        ("Last name", "shorttext", ""),
        ("Email", "email", ""),
        ("Phone", "phone", ""),
        ("Company", "shorttext", ""),
        ("Source", "shorttext", ""),
    ],
    "Tasks": [
        ("Title", "shorttext", ""),
        ("Contact", "link", "Contacts"),
        ("Status", "shorttext", ""),
        ("Due date", "date", ""),
        ("Done", "boolean", ""),
        ("Description", "mediumtext", ""),
    ],
    "Notes": [
        ("Text", "mediumtext", ""),
        ("Contact", "link", "Contacts"),
    ],
    "Appointments": [
        ("Title", "shorttext", ""),
        ("Contact", "link", "Contacts"),
        ("Start", "date", ""),
        ("End", "date", ""),
        ("Status", "shorttext", ""),
        ("Notes", "mediumtext", ""),
    ],
}


def _values(table: TTTable, **by_name: object) -> dict[str, object]:
    fields = {f.name: f for f in table.fields.all()}
    return {str(fields[name].pk): value for name, value in by_name.items()}


@transaction.atomic
def seed() -> TTBook:
    """Create the demo account once (idempotent); returns its book."""
    TTConfig.load()
    user, _ = TTUser.objects.get_or_create(
        o_u=O_U,
        defaults={
            "login": LOGIN,
            "password": PASSWORD,
            "name": "API Syncdeck",
            "email": "api_syncdeck@example.com",
        },
    )
    app, _ = TTAppkey.objects.get_or_create(appkey=APPKEY, defaults={"appname": APPNAME})
    TTOauthkey.objects.get_or_create(oauthkey=OAUTHKEY, defaults={"user": user, "appkey": app})
    TTSession.objects.get_or_create(sesskey=SESSKEY, defaults={"user": user})
    book = TTBook.objects.filter(b_c=B_C).first()
    if book is not None:
        return book
    book = TTBook.objects.create(b_c=B_C, owner=user, title=BOOK_TITLE)
    tables = {name: TTTable.objects.create(book=book, name=name) for name in TABLES}
    for name, fields in TABLES.items():
        for position, (field_name, type_, linked) in enumerate(fields):
            TTField.objects.create(
                table=tables[name],
                name=field_name,
                type=type_,
                link_table=tables[linked] if linked else None,
                position=position,
            )
    contacts, tasks, notes = tables["Contacts"], tables["Tasks"], tables["Notes"]
    ada = TTRow.objects.create(
        table=contacts,
        values=_values(
            contacts,
            **{"First name": "Ada", "Last name": "Lovelace", "Email": "ada@timetonic.example"},
            Phone="+33612345678",
            Company="Analytical Engines",
            Source="TimeTonic",
        ),
    )
    TTRow.objects.create(
        table=contacts,
        values=_values(
            contacts,
            **{"First name": "Blaise", "Last name": "Pascal", "Email": "blaise@timetonic.example"},
            Phone="+33698765432",
            Company="Pascaline",
        ),
    )
    TTRow.objects.create(
        table=tasks,
        values=_values(
            tasks,
            Title="Send the quote",
            Contact=[ada.pk],
            Status="open",
            **{"Due date": "2031-01-15T09:00:00Z"},
            Done=False,
        ),
    )
    TTRow.objects.create(
        table=notes, values=_values(notes, Text="Prefers email.", Contact=[ada.pk])
    )
    return book


@transaction.atomic
def reset() -> TTBook:
    """Everything back to the seeded state (faults off, automations and deliveries gone)."""
    TTDelivery.objects.all().delete()
    TTAutomation.objects.all().delete()
    TTBook.objects.all().delete()
    TTSession.objects.all().delete()
    TTOauthkey.objects.all().delete()
    TTAppkey.objects.all().delete()
    TTUser.objects.all().delete()
    TTConfig.objects.all().delete()
    return seed()


def info() -> dict[str, object]:
    """Credentials and codes of the demo account (for demo_info)."""
    book = seed()
    return {
        "o_u": O_U,
        "u_c": O_U,
        "sesskey": SESSKEY,
        "login": LOGIN,
        "password": PASSWORD,
        "appkey": APPKEY,
        "oauthkey": OAUTHKEY,
        "b_c": book.b_c,
        "b_o": O_U,
        "tables": {t.name: t.pk for t in book.tables.order_by("pk")},
        # getBookTables' categories (id, name, fields), to configure without a call.
        "categories": [table_dict(t) for t in book.tables.order_by("pk")],
    }
