from __future__ import annotations

from sandbox.models import SandboxContact


def search(api, loc, **body):
    resp = api("POST", "/contacts/search", {"locationId": loc.id, **body})
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_default_search_envelope(api, seeded):
    body = search(api, seeded)
    assert body["total"] == 50 and len(body["contacts"]) == 20
    first = body["contacts"][0]
    assert len(first["searchAfter"]) == 2 and first["searchAfter"][1] == first["id"]


def test_filters(api, seeded):
    c = SandboxContact.objects.filter(location=seeded).exclude(tags=[]).first()
    tag = c.tags[0]
    body = search(api, seeded, filters=[{"field": "tags", "operator": "eq", "value": tag}])
    assert body["total"] == SandboxContact.objects.filter(tags_text__contains=f",{tag},").count()
    assert all(tag in x["tags"] for x in body["contacts"])

    body = search(
        api, seeded, filters=[{"field": "email", "operator": "eq", "value": c.email.upper()}]
    )
    assert [x["id"] for x in body["contacts"]] == [c.id]

    body = search(
        api,
        seeded,
        filters=[{"field": "firstName", "operator": "contains", "value": c.first_name[:3]}],
    )
    assert c.id in [x["id"] for x in body["contacts"]]

    no_company = SandboxContact.objects.filter(location=seeded, company_name="").count()
    body = search(api, seeded, filters=[{"field": "companyName", "operator": "not_exists"}])
    assert body["total"] == no_company
    body = search(api, seeded, filters=[{"field": "companyName", "operator": "exists"}])
    assert body["total"] == 50 - no_company

    body = search(
        api,
        seeded,
        filters=[
            {
                "group": "OR",
                "filters": [
                    {"field": "email", "operator": "eq", "value": c.email},
                    {"field": "id", "operator": "eq", "value": "nothing"},
                ],
            }
        ],
    )
    assert body["total"] == 1
    body = search(api, seeded, filters=[{"field": "email", "operator": "not_eq", "value": c.email}])
    assert body["total"] == 49


def test_range_and_sort_by_date_updated(api, seeded):
    rows = list(SandboxContact.objects.filter(location=seeded).order_by("date_updated", "id"))
    pivot = rows[20].date_updated
    body = search(
        api,
        seeded,
        pageLimit=100,
        filters=[
            {"field": "dateUpdated", "operator": "range", "value": {"gte": pivot.isoformat()}}
        ],
        sort=[{"field": "dateUpdated", "direction": "asc"}],
    )
    expected = [r.id for r in rows if r.date_updated >= pivot]
    assert [x["id"] for x in body["contacts"]] == expected
    ms = int(pivot.timestamp() * 1000)
    body2 = search(
        api,
        seeded,
        pageLimit=100,
        filters=[{"field": "dateUpdated", "operator": "range", "value": {"gt": ms}}],
        sort=[{"field": "dateUpdated", "direction": "asc"}],
    )
    assert [x["id"] for x in body2["contacts"]] == [r.id for r in rows if r.date_updated > pivot]


def test_search_after_paging_covers_everything(api, seeded):
    seen = []
    body = search(api, seeded, pageLimit=7, sort=[{"field": "dateUpdated", "direction": "asc"}])
    while body["contacts"]:
        seen += [x["id"] for x in body["contacts"]]
        body = search(
            api,
            seeded,
            pageLimit=7,
            searchAfter=body["contacts"][-1]["searchAfter"],
            sort=[{"field": "dateUpdated", "direction": "asc"}],
        )
    expected = list(
        SandboxContact.objects.filter(location=seeded)
        .order_by("date_updated", "id")
        .values_list("id", flat=True)
    )
    assert seen == expected


def test_page_paging_and_desc(api, seeded):
    p1 = search(
        api, seeded, page=1, pageLimit=10, sort=[{"field": "dateAdded", "direction": "desc"}]
    )
    p2 = search(
        api, seeded, page=2, pageLimit=10, sort=[{"field": "dateAdded", "direction": "desc"}]
    )
    ids = [x["id"] for x in p1["contacts"] + p2["contacts"]]
    expected = list(
        SandboxContact.objects.filter(location=seeded)
        .order_by("-date_added", "-id")
        .values_list("id", flat=True)[:20]
    )
    assert ids == expected


def test_query_and_validation(api, seeded):
    c = SandboxContact.objects.filter(location=seeded).first()
    body = search(api, seeded, query=c.email)
    assert c.id in [x["id"] for x in body["contacts"]]
    resp = api("POST", "/contacts/search", {"locationId": seeded.id, "pageLimit": 501})
    assert resp.status_code == 422 and isinstance(resp.json()["message"], list)
    resp = api(
        "POST",
        "/contacts/search",
        {"locationId": seeded.id, "filters": [{"field": "email", "operator": "like"}]},
    )
    assert resp.status_code == 422
