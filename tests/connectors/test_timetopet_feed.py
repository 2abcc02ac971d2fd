"""Time To Pet's calendar feed over real HTTP (the sandbox's feeds): every visit occurrence
with a stable id, conditional GETs, changes (moved, cancelled, removed), clear errors."""

from __future__ import annotations

import pytest
import requests

from integrations.connectors.base import ConnectorError
from integrations.models import Connection, ConnectorState

pytestmark = pytest.mark.django_db(transaction=True)


def control(base: str, name: str, body: dict | None = None) -> dict:
    answer = requests.post(f"{base}/sandbox/timetopet/_control/{name}", json=body or {}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def state(base: str) -> dict:
    return requests.get(f"{base}/sandbox/timetopet/_control/state?expected=1", timeout=30).json()


def connect(workspace, base: str, feed: str, **values) -> Connection:  # type: ignore[no-untyped-def]
    conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed")
    conn.connector.connect_with("feed", {"feed_url": base + feed, "interval": 5, **values})
    conn.save()
    return conn


@pytest.fixture
def feed(live_server, workspace):  # type: ignore[no-untyped-def]
    base = live_server.url
    paths = control(base, "generate")
    return {"base": base, "paths": paths, "conn": connect(workspace, base, paths["feed"])}


def occurrence_id(expected: dict) -> str:
    recurrence = expected["recurrence_utc"]
    return expected["uid"] + (f"/{recurrence}" if recurrence else "")


def test_it_reads_every_visit_once_with_a_stable_id(feed):
    records, cursor = feed["conn"].connector.poll({}, "")
    expected = state(feed["base"])["expected"]
    assert len(expected) == 200 and len(records) == 200
    by_id = {r["id"]: r for r in records}
    assert set(by_id) == {occurrence_id(e) for e in expected}
    for e in expected:
        record = by_id[occurrence_id(e)]
        assert (record["start"], record["end"]) == (e["start"], e["end"]), e
        assert record["cancelled"] is e["cancelled"]
        assert record["timezone"] == e["tzid"]
        assert record["match"] in (e["client_email"], e["client_name"])
    assert {r["timezone"] for r in records} == {"America/New_York", "America/Los_Angeles"}
    assert sum(r["cancelled"] for r in records) == 6  # 4 series occurrences + 2 single visits
    assert cursor.startswith("feed:") and ConnectorState.objects.filter(key=cursor).exists()
    assert feed["conn"].account_name == "Happy Paws Pet Care"


def test_an_unchanged_feed_is_one_304_and_nothing_new(feed):
    connector = feed["conn"].connector
    _, cursor = connector.poll({}, "")
    before = state(feed["base"])["not_modified"]
    records, again = connector.poll({}, cursor)
    assert records == [] and again == cursor
    assert state(feed["base"])["not_modified"] == before + 1


def test_moved_cancelled_and_removed_visits_come_back_as_changes(feed):
    base, connector = feed["base"], feed["conn"].connector
    initial, cursor = connector.poll({}, "")
    single = "ttp-visit-000-happy-paws@timetopet.sandbox"
    series = "ttp-series-020-happy-paws@timetopet.sandbox"
    control(base, "alter", {"uid": single, "action": "move", "minutes": 90})
    control(base, "alter", {"uid": series, "action": "cancel", "index": 5})
    control(base, "alter", {"uid": series, "action": "exdate", "index": 6})
    deleted = "ttp-visit-001-happy-paws@timetopet.sandbox"
    control(base, "alter", {"uid": deleted, "action": "delete"})
    records, cursor2 = connector.poll({}, cursor)
    expected = {occurrence_id(e): e for e in state(base)["expected"]}
    changed = {r["id"]: r for r in records}
    assert len(changed) == 4, sorted(changed)
    assert changed[single]["start"] == expected[single]["start"]
    assert not changed[single]["cancelled"] and changed[deleted]["cancelled"]
    cancelled = [r for r in records if r["cancelled"]]
    assert len(cancelled) == 3  # the cancelled occurrence, the EXDATE one, the deleted visit
    assert cursor2 != cursor and ConnectorState.objects.filter(connection=feed["conn"]).count() == 2
    assert connector.poll({}, cursor2) == ([], cursor2)
    # Moved back where it was: a change again, under a new marker (not deduplicated away).
    control(base, "alter", {"uid": single, "action": "move", "minutes": -90})
    back, _ = connector.poll({}, cursor2)
    assert [r["id"] for r in back] == [single]
    original = next(r for r in initial if r["id"] == single)
    assert back[0]["start"] == original["start"]
    assert back[0]["updated_at"].split(".")[0] == original["updated_at"].split(".")[0]
    assert back[0]["updated_at"] != original["updated_at"]  # so its run is not deduplicated


def test_staff_feeds_add_nothing_twice(feed, workspace):
    base, paths = feed["base"], feed["paths"]
    staff = "\n".join(base + path for path in paths["staff_feeds"].values())
    conn = connect(workspace, base, paths["feed"], staff_feeds=staff)
    records, _ = conn.connector.poll({}, "")
    assert len(records) == 200


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("malformed", "malformed iCalendar file"),
        ("html", "answered with a web page, not a calendar"),
        ("gone", "answered 404"),
    ],
)
def test_a_broken_feed_says_what_is_wrong(feed, mode, words):
    control(feed["base"], "config", {"mode": mode})
    with pytest.raises(ConnectorError) as info:
        feed["conn"].connector.poll({}, "")
    assert words in info.value.message and info.value.permanent
    result = feed["conn"].connector.test()
    assert not result.ok and words in result.message


def test_the_connect_form_checks_its_values(feed, workspace, settings):
    base = feed["base"]
    for values, words in [
        ({"feed_url": "ftp://x/y.ics"}, "http(s) or webcal URL"),
        ({"feed_url": base + feed["paths"]["feed"], "interval": 61}, "between 1 and 60"),
        ({"feed_url": base + feed["paths"]["feed"], "timezone": "Mars/Ares"}, "unknown time zone"),
    ]:
        conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed")
        with pytest.raises(ConnectorError) as info:
            conn.connector.connect_with("feed", {"interval": 5, **values})
        assert words in info.value.message
    settings.HTTP_ALLOW_PRIVATE_TARGETS = False
    conn = Connection(workspace=workspace, kind="timetopet", auth_method="feed")
    with pytest.raises(ConnectorError) as info:
        conn.connector.connect_with("feed", {"feed_url": base + feed["paths"]["feed"]})
    assert "private or loopback" in info.value.message


def test_the_feed_url_is_secret_and_nothing_is_written(feed):
    conn = Connection.objects.get(pk=feed["conn"].pk)
    token = feed["paths"]["feed"].rsplit("/", 1)[1]
    assert token not in str(conn.config) and token not in conn.credentials_encrypted
    assert conn.credentials["feed_url"].endswith(token)
    from integrations.connectors import http

    with http.recording() as calls:
        conn.connector.poll({}, "")
    assert calls and all(token not in c.url for c in calls)
    with pytest.raises(ConnectorError, match="nothing can be written"):
        conn.connector.call("visits.feed")
    assert "no public API" in conn.connector.notice
    assert "nothing is ever written into Time To Pet" in conn.connector.notice
