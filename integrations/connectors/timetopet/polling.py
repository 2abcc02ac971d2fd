"""Polling Time To Pet's feeds: what changed since the last poll, kept per connection.

Each poll remembers, per feed, its validators (ETag / Last-Modified) and a compact copy of
every visit occurrence it saw, in a `ConnectorState` row named by the cursor. A feed that
answers 304 costs nothing; a visit whose content changed comes back, and one that left the
feed (inside the window) comes back cancelled. A mixin of `TimeToPetConnector`, which
provides `feed_urls`, `_fetch`, `visits` and `_window`.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from integrations.connectors.timetopet import feed

STATE_PREFIX = "feed:"


class FeedPolling:
    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[dict[str, Any]], str]:
        """Visits new or changed since the state `cursor` names, and visits that left the
        feed (cancelled); [] and the same cursor when every feed answers 304."""
        limit = int(trigger_config.get("max_records") or 0)
        if limit:  # a preview: read, remember nothing
            records: list[dict[str, Any]] = []
            for label, url in self.feed_urls():
                records += self.visits(url, label, self._fetch(url, {})[0])
            return records[:limit], cursor
        from integrations.models import ConnectorState

        conn = self.connection
        state = None
        if cursor.startswith(STATE_PREFIX):
            state = ConnectorState.objects.filter(connection=conn, key=cursor).first()
        previous: dict[str, Any] = state.data if state else {}
        old_feeds = previous.get("feeds") or {}
        new_feeds: dict[str, Any] = {}
        present: dict[str, dict[str, Any]] = {}
        vanished: dict[str, list[Any]] = {}
        changed = False
        for label, url in self.feed_urls():
            digest = feed_digest(url)
            old = old_feeds.get(digest) or {}
            text, validators, status = self._fetch(url, old)
            if status == 304:
                new_feeds[digest] = old
                for occurrence_id in old.get("seen") or {}:
                    present.setdefault(occurrence_id, {})
                continue
            changed = True
            seen: dict[str, list[Any]] = {}
            for record in self.visits(url, label, text):
                present[record["id"]] = record
                seen[record["id"]] = _compact(record)
            old_seen = old.get("seen") or {}
            vanished.update({k: v for k, v in old_seen.items() if k not in seen})
            new_feeds[digest] = {**validators, "seen": seen, "label": label}
        if not changed:
            return [], cursor
        old_seen_all = {k: v for f in old_feeds.values() for k, v in (f.get("seen") or {}).items()}
        out = [
            r
            for r in present.values()
            if r and (r["id"] not in old_seen_all or old_seen_all[r["id"]][0] != r["updated_at"])
        ]
        window_start = feed.iso(self._window()[0])
        for occurrence_id, compact in vanished.items():
            if occurrence_id in present or compact[1] < window_start:
                continue  # still in another feed, or simply in the past now
            out.append(feed.cancelled_copy(_expand(occurrence_id, compact)))
        line, number = _next_state(cursor)
        # The change marker (runs are deduplicated by id and marker) names this poll too: a
        # visit moved and then moved back is a new change, not a duplicate of the first.
        out = [{**r, "updated_at": f"{r['updated_at']}.{number}"} for r in out]
        out.sort(key=lambda r: (r["start"], r["id"]))
        return out, self._save_state(cursor, line, number, {"feeds": new_feeds})

    def _save_state(self, cursor: str, line: str, number: int, data: dict[str, Any]) -> str:
        """Store the state under the next key of this cursor's line; keep only the one the
        stored cursor names and the new one (a poll that fails to store its cursor re-reads
        from the old one, and finds the same changes under the same markers)."""
        from integrations.models import ConnectorState

        key = f"{STATE_PREFIX}{line}:{number}"
        ConnectorState.objects.update_or_create(
            connection=self.connection, key=key, defaults={"data": data}
        )
        ConnectorState.objects.filter(
            connection=self.connection, key__startswith=f"{STATE_PREFIX}{line}:"
        ).exclude(key__in=[key, cursor]).delete()
        return key


def _next_state(cursor: str) -> tuple[str, int]:
    """(line, number) of the state a poll from `cursor` writes: feed:<line>:<number>."""
    if cursor.startswith(STATE_PREFIX) and cursor.count(":") == 2:
        _, line, seq = cursor.split(":")
        if seq.isdigit():
            return line, int(seq) + 1
    return uuid.uuid4().hex, 1


def _compact(record: dict[str, Any]) -> list[Any]:
    return [
        record["updated_at"],
        record["start"],
        record["end"],
        record["title"],
        record["client_email"],
        record["client_name"],
        record["timezone"],
        record.get("pets", ""),
    ]


def _expand(occurrence_id: str, compact: list[Any]) -> dict[str, Any]:
    _fp, start, end, title, email, name, zone, pets = (list(compact) + [""] * 8)[:8]
    uid, _, recurrence = occurrence_id.partition("/")
    record = {
        "id": occurrence_id,
        "uid": uid,
        "recurrence_id": recurrence,
        "title": title,
        "start": start,
        "end": end,
        "timezone": zone,
        "all_day": False,
        "location": "",
        "description": "",
        "feed": "",
        "client_email": email,
        "client_name": name,
        "pets": pets,
        "staff": "",
        "service": "",
    }
    record["match"] = email or name
    record["match_by"] = feed.match_by(record)
    return record


def feed_digest(url: str) -> str:
    """A short name for a feed URL (it carries a token): state keys, the account id."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]
