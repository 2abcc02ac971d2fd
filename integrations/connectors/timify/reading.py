"""Reading TIMIFY: customers page by page, appointments in 365-day windows, one record,
samples for the wizard, polls and backfills. A mixin of TimifyConnector (which supplies
`call` and `connection`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from integrations.connectors.base import ConnectorError, ErrorKind

WINDOW_DAYS = 365  # TIMIFY's longest from_date..to_date interval
PAGE_LIMIT = 200


class TimifyReading:
    connection: Any  # supplied by TimifyConnector
    call: Any

    def customer_pages(self, limit: int = PAGE_LIMIT) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            data = self.call("customer.list", page=page, limit=limit)
            rows = data.get("data") or []
            yield rows
            meta = data.get("meta") or {}
            if not rows or page >= int(meta.get("totalPages") or 0):
                return
            page += 1

    def find_customers(self, email: str) -> list[dict[str, Any]]:
        wanted = email.strip().lower()
        return [
            c
            for rows in self.customer_pages()
            for c in rows
            if str(c.get("email") or "").strip().lower() == wanted
        ]

    @staticmethod
    def windows(start: date, end: date) -> Iterator[tuple[date, date]]:
        """[start, end] in windows TIMIFY accepts (from_date..to_date within 365 days)."""
        while start <= end:
            stop = min(end, start + timedelta(days=WINDOW_DAYS - 1))
            yield start, stop
            start = stop + timedelta(days=1)

    def appointment_pages(
        self, start: date, end: date, limit: int = PAGE_LIMIT
    ) -> Iterator[list[dict[str, Any]]]:
        for first, last in self.windows(start, end):
            page = 1
            while True:
                data = self.call(
                    "appointment.list",
                    from_date=first.isoformat(),
                    to_date=last.isoformat(),
                    page=page,
                    limit=limit,
                )
                rows = data.get("data") or []
                yield rows
                if not rows or page >= int((data.get("meta") or {}).get("totalPages") or 0):
                    break
                page += 1

    def get_record(
        self, object_type: str, record_id: str, parent_id: str = ""
    ) -> dict[str, Any] | None:
        """An appointment by `ids=`; a customer from the list (TIMIFY's facts name no
        single-customer read)."""
        if object_type == "appointment":
            rows = self.call("appointment.list", ids=record_id).get("data") or []
            return next((r for r in rows if str(r.get("id")) == str(record_id)), None)
        if object_type == "contact":
            for rows in self.customer_pages():
                for row in rows:
                    if str(row.get("id")) == str(record_id):
                        return row
            return None
        raise NotImplementedError(f"TIMIFY has no {object_type} records")

    def sample(self, object_type: str) -> tuple[dict[str, Any] | None, str]:
        where = self.connection.account_name or "TIMIFY"
        if object_type == "appointment":
            today = datetime.now(UTC).date()
            for rows in self.appointment_pages(
                today - timedelta(days=30), today + timedelta(days=334), 1
            ):
                if rows:
                    return rows[
                        0
                    ], f"The first appointment of {where} around today (read just now)."
                break
            return None, f"{where} has no appointments around today; book one to see a preview."
        rows = self.call("customer.list", page=1, limit=1).get("data") or []
        if not rows:
            return None, f"{where} has no customers yet; add one to see a preview."
        return rows[0], f"The first customer of {where} (read just now)."

    def poll_pages(
        self, trigger_config: dict[str, Any], cursor: str
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Records changed after `cursor` (their updatedAt), page by page. Appointments are
        read in 365-day windows from `days_back` (default 365) before today to
        `days_ahead` (default 365) after it."""
        object_type = str(trigger_config.get("object") or "contact")
        limit = int(trigger_config.get("max_records") or 0)
        size = max(1, min(int(trigger_config.get("page_size") or PAGE_LIMIT), PAGE_LIMIT))
        if object_type == "appointment":
            today = datetime.now(UTC).date()
            back = int(trigger_config.get("days_back", 365))
            ahead = int(trigger_config.get("days_ahead", 365))
            pages = self.appointment_pages(
                today - timedelta(days=back), today + timedelta(days=ahead), size
            )
        elif object_type == "contact":
            pages = self.customer_pages(size)
        else:
            raise ConnectorError(
                f"TIMIFY has no {object_type} records to poll",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        newest, seen = cursor, 0
        for rows in pages:
            changed = [r for r in rows if str(r.get("updatedAt") or "") > cursor]
            changed.sort(key=lambda r: str(r.get("updatedAt") or ""))
            if limit:
                changed = changed[: max(0, limit - seen)]
            seen += len(changed)
            newest = max([newest, *(str(r.get("updatedAt") or "") for r in changed)])
            if changed:
                yield changed, newest
            if limit and seen >= limit:
                return

    def poll(self, trigger_config: dict[str, Any], cursor: str) -> tuple[list[dict[str, Any]], str]:
        found: list[dict[str, Any]] = []
        newest = cursor
        for page, after in self.poll_pages(trigger_config, cursor):
            found += page
            newest = after
        return found, newest
