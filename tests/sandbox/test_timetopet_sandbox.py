"""The Time To Pet sandbox: feeds honour ETag / Last-Modified, change when visits change,
serve a real iCalendar file, a client CSV, and a page with buttons."""

from __future__ import annotations

import icalendar
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def paths(client):  # type: ignore[no-untyped-def]
    answer = client.post(
        "/sandbox/timetopet/_control/generate",
        {"series": 2, "weeks": 3, "singles": 3},
        content_type="application/json",
    )
    assert answer.status_code == 200
    return answer.json()


def test_the_feed_is_a_calendar_with_validators(client, paths):
    moved = {"uid": "ttp-series-001-happy-paws@timetopet.sandbox", "action": "move", "index": 1}
    client.post("/sandbox/timetopet/_control/alter", moved, content_type="application/json")
    answer = client.get(paths["feed"])
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = calendar.walk("VEVENT")
    assert {str(e["UID"]) for e in events} and calendar.walk("VTIMEZONE")
    assert any(e.get("RRULE") for e in events) and any(e.get("RECURRENCE-ID") for e in events)
    assert paths["visits"] == 2 * 3 - 2 + 3  # two EXDATEs (index 2 of the first series)
    etag, modified = answer["ETag"], answer["Last-Modified"]
    assert client.get(paths["feed"], HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(paths["feed"], HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(paths["feed"], HTTP_IF_NONE_MATCH='"other"').status_code == 200
    client.post("/sandbox/timetopet/_control/advance", {}, content_type="application/json")
    changed = client.get(paths["feed"], HTTP_IF_NONE_MATCH=etag, HTTP_IF_MODIFIED_SINCE=modified)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_staff_feeds_hold_their_own_visits(client, paths):
    counts = []
    for path in paths["staff_feeds"].values():
        calendar = icalendar.Calendar.from_ical(client.get(path).content)
        counts.append(len({str(e["UID"]) for e in calendar.walk("VEVENT")}))
    assert sum(counts) == 2 + 3 and all(counts)


def test_the_client_csv_and_its_generated_variant(client, paths):
    rows = client.get(paths["clients_csv"]).content.decode().splitlines()
    assert rows[0].startswith("Client ID,First Name,Last Name,Email") and len(rows) == 25
    big = client.get(paths["clients_csv"] + "?rows=1000").content.decode().splitlines()
    assert len(big) == 1001
    assert client.get(paths["clients_csv"] + "?rows=x").status_code == 400


def test_control_refuses_bad_input_and_the_modes_break_the_feed(client, paths):
    post = lambda path, body: client.post(path, body, content_type="application/json")  # noqa: E731
    assert (
        post("/sandbox/timetopet/_control/alter", {"uid": "nope", "action": "move"}).status_code
        == 400
    )
    assert post("/sandbox/timetopet/_control/config", {"mode": "weird"}).status_code == 400
    assert client.get("/sandbox/timetopet/_control/generate").status_code == 405
    post("/sandbox/timetopet/_control/config", {"mode": "html"})
    assert client.get(paths["feed"]).content.startswith(b"<!doctype html>")
    post("/sandbox/timetopet/_control/config", {"mode": "gone"})
    assert client.get(paths["feed"]).status_code == 404


def test_the_page_shows_the_feeds_and_its_buttons_change_them(client, paths):
    page = client.get("/sandbox/timetopet/_ui/")
    assert page.status_code == 200 and paths["feed"].encode() in page.content
    before = client.get("/sandbox/timetopet/_control/state").json()["version"]
    assert client.post("/sandbox/timetopet/_ui/advance").status_code == 302
    assert client.get("/sandbox/timetopet/_control/state").json()["version"] > before
    assert client.post("/sandbox/timetopet/_ui/mode", {"mode": "malformed"}).status_code == 302
    assert client.get("/sandbox/timetopet/_control/state").json()["mode"] == "malformed"
