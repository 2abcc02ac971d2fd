"""Deterministic, idempotent demo data for the GHL sandbox (random.Random(42))."""

from __future__ import annotations

import random
import string
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from sandbox.models import (
    SandboxAppointment,
    SandboxBusiness,
    SandboxCalendar,
    SandboxCampaign,
    SandboxContact,
    SandboxCustomField,
    SandboxLocation,
    SandboxNote,
    SandboxTask,
    SandboxUser,
    SandboxWorkflow,
)

FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Benjamin",
    "Charlotte",
    "Lucas",
    "Amelia",
    "Henry",
    "Harper",
    "Alexander",
    "Evelyn",
    "Daniel",
    "Abigail",
    "Michael",
    "Emily",
    "Ethan",
    "Ella",
    "Mateo",
    "Grace",
    "Sebastian",
    "Chloe",
    "Jack",
    "Priya",
    "Arjun",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Sofia",
    "Diego",
    "Hannah",
    "Lars",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Patel",
    "Nguyen",
    "Kim",
    "Tanaka",
    "Okafor",
    "Schmidt",
]
COMPANIES = [
    "Acme Logistics",
    "Blue Harbor Realty",
    "Cedar & Pine Law",
    "Brightside Bakery",
    "Summit Outdoor Co",
    "Northwind Traders",
    "Lumen Design Studio",
    "Riverbend Clinic",
    "",
]
STREETS = ["Maple Ave", "Oak St", "Pine Rd", "Cedar Ln", "Elm St", "Lakeview Dr", "Hillcrest Blvd"]
CITIES = [
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Portland", "OR", "972"),
    ("Chicago", "IL", "606"),
    ("Raleigh", "NC", "276"),
    ("Madison", "WI", "537"),
]
AREA = {
    "Austin": "512",
    "Denver": "303",
    "Portland": "503",
    "Chicago": "312",
    "Raleigh": "919",
    "Madison": "608",
}
TAGS = [
    "new patient",
    "newsletter",
    "vip",
    "cleaning due",
    "invisalign lead",
    "referral",
    "follow up",
    "insurance verified",
]
SOURCES = ["website form", "facebook ad", "google ads", "referral", "walk-in", "public api"]
TASK_TITLES = [
    "Call to confirm appointment",
    "Send treatment plan",
    "Follow up on estimate",
    "Verify insurance details",
    "Schedule 6-month cleaning",
]
NOTE_BODIES = [
    "Prefers morning appointments.",
    "Asked about whitening options.",
    "Referred by a friend; offer referral discount.",
    "Left voicemail, will retry.",
    "Insurance card on file, expires next year.",
]

COMPANY_ID = "SbxCompany0000000001"


def _id(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))


@transaction.atomic
def seed() -> dict:
    """Create the demo data unless it exists. Returns counts."""
    rng = random.Random(42)
    loc_ids = [_id(rng) for _ in range(3)]
    if SandboxLocation.objects.filter(pk=loc_ids[0]).exists():
        seed_calendars()  # databases seeded before calendars existed get them now
        seed_store()
        return {
            "created": False,
            "contacts": SandboxContact.objects.filter(location_id=loc_ids[0]).count(),
        }
    now = timezone.now().replace(microsecond=0)
    names = ["Northside Dental", "Peak Fitness Studio", "Harbor Home Services"]
    locations = []
    for i, (loc_id, name) in enumerate(zip(loc_ids, names, strict=True)):
        locations.append(
            SandboxLocation.objects.create(
                id=loc_id,
                company_id=COMPANY_ID,
                name=name,
                created=now - timedelta(days=400 - i),
            )
        )
    main = locations[0]
    users = [
        SandboxUser.objects.create(
            id=_id(rng),
            company_id=COMPANY_ID,
            location=main,
            first_name="Dana",
            last_name="Reyes",
            email="dana.reyes@northside.example",
            role="admin",
        ),
        SandboxUser.objects.create(
            id=_id(rng),
            company_id=COMPANY_ID,
            location=main,
            first_name="Sam",
            last_name="Okoye",
            email="sam.okoye@northside.example",
        ),
    ]
    businesses = [
        SandboxBusiness.objects.create(id=_id(rng), location=main, name="Acme Logistics"),
        SandboxBusiness.objects.create(id=_id(rng), location=main, name="Blue Harbor Realty"),
    ]
    for name in ("Spring Cleaning Reminder", "New Patient Welcome"):
        SandboxCampaign.objects.create(id=_id(rng), location=main, name=name)
    for name in ("Appointment Reminder Sequence", "Review Request"):
        SandboxWorkflow.objects.create(id=_id(rng), location=main, name=name)
    membership = SandboxCustomField.objects.create(
        id=_id(rng),
        location=main,
        name="Membership Level",
        field_key="contact.membership_level",
        data_type="SINGLE_OPTIONS",
        picklist_options=["Basic", "Plus", "Premium"],
    )
    referral = SandboxCustomField.objects.create(
        id=_id(rng), location=main, name="Referral Source", field_key="contact.referral_source"
    )
    SandboxCustomField.objects.create(
        id=_id(rng),
        location=main,
        name="Lifetime Value",
        field_key="contact.lifetime_value",
        data_type="MONETORY",
    )
    contacts = []
    used_emails: set[str] = set()
    for i in range(50):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{'' if i < 40 else i}@example.com".lower()
        if email in used_emails:
            email = f"{first}.{last}.{i}@example.com".lower()
        used_emails.add(email)
        city, state, zip_prefix = rng.choice(CITIES)
        added = now - timedelta(days=rng.randint(1, 240), minutes=rng.randint(0, 1440))
        updated = min(now, added + timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 600)))
        contact = SandboxContact(
            id=_id(rng),
            location=main,
            first_name=first,
            last_name=last,
            name=f"{first} {last}",
            email=email,
            phone=f"+1{AREA[city]}555{rng.randint(0, 9999):04d}",
            company_name=rng.choice(COMPANIES),
            address1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            city=city,
            state=state,
            country="US",
            postal_code=f"{zip_prefix}{rng.randint(10, 99)}",
            timezone="America/Chicago",
            source=rng.choice(SOURCES),
            assigned_to=rng.choice(users).id if rng.random() < 0.5 else "",
            date_added=added,
            date_updated=updated,
        )
        contact.set_tags(rng.sample(TAGS, rng.randint(0, 3)))
        fields = {}
        if rng.random() < 0.4:
            fields[membership.id] = rng.choice(membership.picklist_options)
        if rng.random() < 0.2:
            fields[referral.id] = rng.choice(["Google", "Friend", "Instagram"])
        contact.custom_fields = fields
        if i < 6:
            contact.business_id = businesses[i % 2].id
        contacts.append(contact)
    SandboxContact.objects.bulk_create(contacts)
    for contact in contacts[:15]:
        for _ in range(rng.randint(1, 2)):
            SandboxTask.objects.create(
                id=_id(rng),
                contact=contact,
                title=rng.choice(TASK_TITLES),
                body="Created by the sandbox seed.",
                due_date=now + timedelta(days=rng.randint(-10, 20)),
                completed=rng.random() < 0.3,
                assigned_to=rng.choice(users).id,
                date_added=contact.date_added,
                date_updated=contact.date_updated,
            )
        SandboxNote.objects.create(
            id=_id(rng),
            contact=contact,
            body=rng.choice(NOTE_BODIES),
            user_id=users[0].id,
            date_added=contact.date_updated,
            date_updated=contact.date_updated,
        )
    calendar = seed_calendars()[main.id][0]
    for contact in contacts[:5]:
        start = (now + timedelta(days=rng.randint(1, 21))).replace(minute=0, second=0)
        SandboxAppointment.objects.create(
            id=_id(rng),
            location=main,
            calendar_id=calendar.id,
            contact=contact,
            title="Dental cleaning",
            assigned_user_id=users[1].id,
            start_time=start,
            end_time=start + timedelta(minutes=45),
            address="12 Main St, Austin TX",
        )
    # A few contacts in the second location, so cross-location checks have data.
    for _ in range(3):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        SandboxContact.objects.create(
            id=_id(rng),
            location=locations[1],
            first_name=first,
            last_name=last,
            name=f"{first} {last}",
            email=f"{first}.{last}@peakfit.example".lower(),
            source="walk-in",
        )
    seed_store()
    return {"created": True, "contacts": len(contacts)}


CALENDARS = [
    ("Consultations", "30-minute first visits and follow-ups.", 30, "#039be5"),
    ("Cleanings", "Dental cleanings and check-ups.", 45, "#33b679"),
]


def seed_calendars() -> dict[str, list[SandboxCalendar]]:
    """Two calendars per location, with ids derived from the location's id (idempotent,
    and independent of seed()'s random sequence so older databases keep their ids)."""
    out: dict[str, list[SandboxCalendar]] = {}
    for location in SandboxLocation.objects.order_by("created", "id"):
        rng = random.Random(f"calendars:{location.id}")
        users = list(location.users.order_by("pk").values_list("pk", flat=True))
        rows = []
        for name, description, minutes, color in CALENDARS:
            calendar, created = SandboxCalendar.objects.get_or_create(
                id=_id(rng),
                defaults={
                    "location": location,
                    "name": name,
                    "description": description,
                    "slug": f"{slugify(location.name)}-{slugify(name)}",
                    "slot_duration": minutes,
                    "event_color": color,
                    "team_members": users,
                },
            )
            rows.append(calendar)
            if created and len(rows) == 1:
                # Appointments seeded before calendars existed move to the first one.
                SandboxAppointment.objects.filter(location=location).exclude(
                    calendar_id__in=SandboxCalendar.objects.values("pk")
                ).update(calendar_id=calendar.id)
        out[location.id] = rows
    return out


def _record(location_id: str, collection: str, record_id: str, data: dict, parent: str = ""):
    from sandbox.models import SandboxRecord

    SandboxRecord.objects.get_or_create(
        location_id=location_id,
        collection=collection,
        record_id=record_id,
        defaults={"data": data, "parent_id": parent},
    )


def seed_store() -> None:
    """Demo records of the spec-driven store (sandbox/ghl/generic.py) for the main
    location: a pipeline with stages and opportunities, conversations with messages, the
    users, businesses, workflows, campaigns and calendars the other tables hold, a
    calendar group, a blog with an author, a category and a post, an association and a
    snapshot. Idempotent; ids derive from the location's id."""
    from sandbox.models import SandboxRecord

    main = SandboxBusiness.objects.order_by("pk").select_related("location").first()
    if main is None:
        return
    location = main.location
    if SandboxRecord.objects.filter(
        location_id=location.id, collection="opportunities/pipelines"
    ).exists():
        return
    rng = random.Random(f"store:{location.id}")
    loc = location.id
    now = timezone.now().replace(microsecond=0)
    users = list(SandboxUser.objects.filter(location=location).order_by("pk"))
    for user in users:
        _record(
            loc,
            "users",
            user.id,
            {
                "name": f"{user.first_name} {user.last_name}".strip(),
                "firstName": user.first_name,
                "lastName": user.last_name,
                "email": user.email,
                "phone": "+15125550100",
                "roles": {"type": "account", "role": user.role, "locationIds": [loc]},
            },
        )
    for business in SandboxBusiness.objects.filter(location=location):
        _record(loc, "businesses", business.id, {"name": business.name, "city": "Austin"})
    for workflow in SandboxWorkflow.objects.filter(location=location):
        _record(
            loc,
            "workflows",
            workflow.id,
            {"name": workflow.name, "status": workflow.status, "version": 1},
        )
    for campaign in SandboxCampaign.objects.filter(location=location):
        _record(loc, "campaigns", campaign.id, {"name": campaign.name, "status": campaign.status})
    group_id = _id(rng)
    _record(
        loc,
        "calendars/groups",
        group_id,
        {"name": "Front desk", "description": "Every chair of the clinic", "slug": "front-desk"},
    )
    for calendar in SandboxCalendar.objects.filter(location=location):
        _record(
            loc,
            "calendars",
            calendar.id,
            {
                "name": calendar.name,
                "description": calendar.description,
                "slug": calendar.slug,
                "groupId": group_id,
                "slotDuration": calendar.slot_duration,
                "eventColor": calendar.event_color,
                "isActive": calendar.is_active,
            },
        )
    stages = [
        {"id": _id(rng), "name": name, "position": n}
        for n, name in enumerate(["New lead", "Consultation booked", "Treatment plan", "Won"])
    ]
    pipeline_id = _id(rng)
    _record(
        loc,
        "opportunities/pipelines",
        pipeline_id,
        {"name": "New patients", "stages": stages, "showInFunnel": True, "showInPieChart": True},
    )
    contacts = list(SandboxContact.objects.filter(location=location).order_by("date_added")[:6])
    for n, contact in enumerate(contacts[:4]):
        _record(
            loc,
            "opportunities",
            _id(rng),
            {
                "name": f"{contact.name} — treatment plan",
                "monetaryValue": 450 + 150 * n,
                "pipelineId": pipeline_id,
                "pipelineStageId": stages[n % len(stages)]["id"],
                "status": "open" if n < 3 else "won",
                "source": contact.source or "website",
                "contactId": contact.id,
                "assignedTo": users[0].id if users else "",
                "followers": [],
            },
        )
    bodies = [
        ("inbound", "Hi, can I move my cleaning to next week?"),
        ("outbound", "Of course! Tuesday at 10:00 works?"),
        ("inbound", "Perfect, thank you."),
    ]
    for contact in contacts[:2]:
        conversation_id = _id(rng)
        _record(
            loc,
            "conversations",
            conversation_id,
            {
                "contactId": contact.id,
                "deleted": False,
                "inbox": True,
                "type": 1,
                "unreadCount": 1,
                "starred": False,
                "fullName": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "lastMessageBody": bodies[-1][1],
                "lastMessageType": "TYPE_SMS",
            },
        )
        for n, (direction, body) in enumerate(bodies):
            _record(
                loc,
                "conversations/messages",
                _id(rng),
                {
                    "type": 2,
                    "messageType": "TYPE_SMS",
                    "contactId": contact.id,
                    "conversationId": conversation_id,
                    "dateAdded": (now - timedelta(minutes=30 - n * 5)).isoformat(),
                    "body": body,
                    "direction": direction,
                    "status": "delivered",
                    "contentType": "text/plain",
                    "source": "app",
                },
                parent=conversation_id,
            )
    blog_id = _id(rng)
    _record(loc, "blogs", blog_id, {"name": "Northside smiles"})
    author_id = _id(rng)
    _record(
        loc,
        "blogs/authors",
        author_id,
        {"name": "Dr. Dana Reyes", "canonicalLink": "https://northside.example/dana"},
    )
    category_id = _id(rng)
    _record(
        loc,
        "blogs/categories",
        category_id,
        {
            "label": "Oral health",
            "name": "Oral health",
            "urlSlug": "oral-health",
            "canonicalLink": "",
        },
    )
    _record(
        loc,
        "blogs/posts",
        _id(rng),
        {
            "title": "Five habits for healthier gums",
            "description": "Small daily habits that keep gum disease away.",
            "imageUrl": "https://northside.example/gums.jpg",
            "imageAltText": "A toothbrush",
            "urlSlug": "healthier-gums",
            "status": "PUBLISHED",
            "author": author_id,
            "categories": [category_id],
            "tags": ["gums"],
            "archived": False,
            "blogId": blog_id,
            "publishedAt": (now - timedelta(days=3)).isoformat(),
        },
    )
    _record(
        loc,
        "associations",
        _id(rng),
        {
            "key": "contact_business",
            "firstObjectLabel": "Contact",
            "firstObjectKey": "contact",
            "secondObjectLabel": "Business",
            "secondObjectKey": "business",
            "associationType": "USER_DEFINED",
        },
    )
    _record(
        f"company:{location.company_id}",
        "snapshots",
        _id(rng),
        {"name": "Dental clinic starter", "type": "own"},
    )
