"""Demo data and the changes a business makes over time (added, moved, cancelled visits)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from .models import Client, Company, Staff, Visit

DEMO_SLUG = "happy-paws"
ZONES = ("America/New_York", "America/Los_Angeles")
FIRST = [
    "Marigold",
    "Thaddeus",
    "Philippa",
    "Barnaby",
    "Ottoline",
    "Cornelius",
    "Wilhelmina",
    "Percival",
    "Araminta",
    "Fitzgerald",
    "Clementine",
    "Bartholomew",
    "Seraphina",
]
LAST = [
    "Featherstone",
    "Quillfeather",
    "Hollowbrook",
    "Thistlewood",
    "Ashcombe",
    "Pembrooke",
    "Larkspur",
    "Wintergreen",
]
PETS = [
    "Rex (Dog)",
    "Mittens (Cat)",
    "Biscuit (Dog), Pepper (Dog)",
    "Nibbles (Rabbit)",
    "Luna (Cat)",
    "Captain (Parrot)",
]
SERVICES = [("Dog Walk", 30), ("Drop-in Visit", 30), ("Overnight Check", 60), ("Pet Taxi", 60)]


def company(slug: str = DEMO_SLUG) -> Company:
    found = Company.objects.filter(slug=slug).first()
    return found or Company.objects.create(slug=slug, name="Happy Paws Pet Care")


@transaction.atomic
def generate(
    slug: str = DEMO_SLUG, *, series: int = 22, weeks: int = 8, singles: int = 28, clients: int = 24
) -> Company:
    """A fresh company: `series` weekly series of `weeks` visits (4 occurrences removed by
    EXDATE, 5 moved, 4 cancelled) and `singles` single visits (2 cancelled, one for a client
    missing from the CSV export), over two time zones. The defaults make 200 visits."""
    co = company(slug)
    co.visits.all().delete()
    co.clients.all().delete()
    co.staff.all().delete()
    co.mode = Company.Mode.OK
    co.save(update_fields=["mode"])
    staff = [
        Staff.objects.create(company=co, name="Sam Rivera"),
        Staff.objects.create(company=co, name="Lee Chen"),
    ]
    people = []
    for n in range(clients):
        first, last = FIRST[n % len(FIRST)], LAST[(n * 5 + n // len(FIRST)) % len(LAST)]
        people.append(
            Client.objects.create(
                company=co,
                first_name=first,
                last_name=f"{last}{'' if n < len(FIRST) else '-' + str(n)}",
                email=f"{first.lower()}.{last.lower()}{n}@pets.example",
                phone=f"+1 212 555 {1000 + n:04d}",
                address=f"{10 + n} Willow Lane",
                city="Hudson" if n % 2 else "Pasadena",
                state="NY" if n % 2 else "CA",
                zip="12534" if n % 2 else "91101",
                pets=PETS[n % len(PETS)],
                notes="Key under the mat" if n % 4 == 0 else "",
                email_in_feed=n % 8 != 3,  # some visits name the client without an email
            )
        )
    stranger = Client.objects.create(
        company=co,
        first_name="Walkin",
        last_name="Unknownsworth",
        email="walkin.unknownsworth@pets.example",
        pets="Ghost (Dog)",
        in_export=False,
    )
    today = timezone.now().astimezone(ZoneInfo(ZONES[0])).date()
    for i in range(series):
        service, minutes = SERVICES[i % len(SERVICES)]
        day = today + timedelta(days=1 + i % 5)
        overrides: dict[str, dict] = {}
        if 4 <= i < 9:
            overrides["1"] = {"shift_minutes": 120}
        if 9 <= i < 13:
            overrides["3"] = {"cancelled": True}
        Visit.objects.create(
            company=co,
            staff=staff[i % 2],
            client=people[i % len(people)],
            uid=f"ttp-series-{i:03d}-{co.slug}@timetopet.sandbox",
            service=service,
            start_local=f"{day.isoformat()}T{8 + i % 9:02d}:{(i * 15) % 60:02d}",
            tzid=ZONES[i % 2],
            minutes=minutes,
            weeks=weeks,
            exdates=[2] if i < 4 else [],
            overrides=overrides,
        )
    for j in range(singles):
        service, minutes = SERVICES[(j + 1) % len(SERVICES)]
        day = today + timedelta(days=2 + j % 39)
        Visit.objects.create(
            company=co,
            staff=staff[j % 2],
            client=stranger if j == singles - 1 else people[(j * 7) % len(people)],
            uid=f"ttp-visit-{j:03d}-{co.slug}@timetopet.sandbox",
            service=service,
            start_local=f"{day.isoformat()}T{9 + j % 8:02d}:{(j * 10) % 60:02d}",
            tzid=ZONES[(j + 1) % 2],
            minutes=minutes,
            cancelled=j in (5, 11),
        )
    co.touch()
    return co


def _change(visit: Visit, co: Company) -> None:
    visit.sequence += 1
    visit.save()
    co.touch()


@transaction.atomic
def advance(slug: str = DEMO_SLUG) -> list[str]:
    """One round of what a business does in a day: a visit added, one moved, one cancelled,
    one occurrence of a series removed."""
    co = company(slug)
    changes: list[str] = []
    client = co.clients.filter(in_export=True).order_by("?").first()
    if client is None:
        return ["no clients: generate the demo data first"]
    when = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo(co.timezone))
    number = co.visits.count()
    added = Visit.objects.create(
        company=co,
        staff=co.staff.first(),
        client=client,
        uid=f"ttp-added-{number:04d}-{co.slug}@timetopet.sandbox",
        service="Drop-in Visit",
        start_local=when.strftime("%Y-%m-%dT%H:00"),
        tzid=co.timezone,
    )
    changes.append(f"added {added.uid}")
    series = co.visits.filter(weeks__gt=4, deleted=False, cancelled=False).order_by("?").first()
    if series is not None:
        series.overrides[str(4)] = {**series.overrides.get("4", {}), "shift_minutes": 60}
        _change(series, co)
        changes.append(f"moved {series.uid} occurrence 4 by an hour")
    single = co.visits.filter(weeks=0, cancelled=False, deleted=False).exclude(pk=added.pk)
    single = single.order_by("?").first()
    if single is not None:
        single.cancelled = True
        _change(single, co)
        changes.append(f"cancelled {single.uid}")
    other = co.visits.filter(weeks__gt=5, deleted=False).order_by("?").first()
    if other is not None and 5 not in other.exdates:
        other.exdates = sorted({*other.exdates, 5})
        _change(other, co)
        changes.append(f"removed occurrence 5 of {other.uid} (EXDATE)")
    co.touch()
    return changes


@transaction.atomic
def alter(slug: str, uid: str, action: str, index: int = 0, minutes: int = 60) -> str:
    """One change to one visit: move (an occurrence, by minutes), cancel (an occurrence, or
    the visit), exdate (remove an occurrence), delete (the whole visit leaves the feed)."""
    co = company(slug)
    visit = co.visits.filter(uid=uid).first()
    if visit is None:
        raise LookupError(f"no visit {uid}")
    if action == "move":
        if visit.weeks:
            override = visit.overrides.get(str(index), {})
            override["shift_minutes"] = int(override.get("shift_minutes", 0)) + minutes
            visit.overrides[str(index)] = override
        else:
            start = visit.local(0).replace(tzinfo=None) + timedelta(minutes=minutes)
            visit.start_local = start.strftime("%Y-%m-%dT%H:%M")
    elif action == "cancel":
        if visit.weeks:
            visit.overrides[str(index)] = {**visit.overrides.get(str(index), {}), "cancelled": True}
        else:
            visit.cancelled = True
    elif action == "exdate":
        visit.exdates = sorted({*visit.exdates, index})
    elif action == "delete":
        visit.deleted = True
    else:
        raise ValueError(f"unknown action {action!r}")
    _change(visit, co)
    return f"{action} {uid}"
