"""Fingerprints compare what apps mean, not how they spell it."""

from __future__ import annotations

from integrations.sync.links import fingerprint


def test_one_instant_in_three_spellings_is_one_fingerprint():
    keys = ["start"]
    ghl = fingerprint({"start": "2031-03-04T06:00:00-04:00"}, keys)
    app = fingerprint({"start": "2031-03-04T10:00:00Z"}, keys)
    iso = fingerprint({"start": "2031-03-04T10:00:00.000+00:00"}, keys)
    assert ghl == app == iso
    assert fingerprint({"start": "2031-03-04T10:01:00Z"}, keys) != app


def test_dates_without_a_zone_and_plain_text_are_kept_as_they_are():
    keys = ["due"]
    assert fingerprint({"due": "2031-03-04T10:00:00"}, keys) != fingerprint(
        {"due": "2031-03-04T10:00:00Z"}, keys
    )
    assert fingerprint({"due": "2031-03-04 is a date"}, keys) == fingerprint(
        {"due": " 2031-03-04 is a date "}, keys
    )
