"""Read an uploaded CSV file, or say in one sentence what is wrong with it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings

DELIMITERS = ",;\t|"
_KEY = re.compile(r"[^a-z0-9]+")


class CSVError(Exception):
    """The file cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Column:
    key: str  # a safe name for mapping paths (trigger.<key>)
    header: str  # as written in the file


@dataclass
class ParsedCSV:
    columns: list[Column]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, key → value)
    delimiter: str = ","
    encoding: str = "utf-8"


def max_bytes() -> int:
    return int(getattr(settings, "CSV_MAX_BYTES", 10 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "CSV_MAX_ROWS", 50_000))


def column_keys(headers: list[str]) -> list[Column]:
    """Headers → columns with unique keys usable in a mapping path ("Pet Name" → pet_name)."""
    columns: list[Column] = []
    used: set[str] = set()
    for header in headers:
        base = _KEY.sub("_", header.lower()).strip("_") or "column"
        if base[0].isdigit():
            base = "c_" + base
        key, n = base[:60], 2
        while key in used:
            key, n = f"{base[:56]}_{n}", n + 1
        used.add(key)
        columns.append(Column(key, header))
    return columns


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise CSVError("The file says it is UTF-16 but is not valid UTF-16 text.") from exc
    if b"\x00" in data[:8192]:
        raise CSVError(
            "This is not a CSV text file (it holds binary data; an Excel .xlsx or a PDF?). "
            "Export or save it as CSV and upload that."
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CSVError(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}). "
            "Save it as “CSV UTF-8” and upload it again."
        ) from exc


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _looks_like_data(value: str) -> bool:
    value = value.strip()
    return "@" in value or bool(re.fullmatch(r"[+\d][\d\s().\-/:]*", value))


def parse_csv(
    data: bytes, *, limit_bytes: int | None = None, limit_rows: int | None = None
) -> ParsedCSV:
    """The file's columns and rows (blank lines skipped); CSVError when it is malformed."""
    limit_bytes = limit_bytes or max_bytes()
    limit_rows = limit_rows or max_rows()
    if not data or not data.strip():
        raise CSVError("The file is empty.")
    if len(data) > limit_bytes:
        raise CSVError(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{limit_bytes / 1_048_576:.0f} MB. Split it into smaller files."
        )
    text, encoding = _decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: list[Column] = []
    rows: list[tuple[int, dict[str, str]]] = []
    ragged: list[tuple[int, int]] = []
    try:
        for values in reader:
            line = reader.line_num - text_lines(values)  # the line the record starts on
            if not any(v.strip() for v in values):
                continue
            if header is None:
                header = [v.strip() for v in values]
                _check_header(header, line)
                columns = column_keys(header)
                continue
            if len(values) > len(header) and not any(v.strip() for v in values[len(header) :]):
                values = values[: len(header)]  # trailing empty cells (spreadsheet exports)
            if len(values) != len(header):
                ragged.append((line, len(values)))
                continue
            if len(rows) >= limit_rows:
                raise CSVError(
                    f"The file has more than {limit_rows:,} rows; split it into smaller files."
                )
            rows.append((line, {c.key: v.strip() for c, v in zip(columns, values, strict=True)}))
    except csv.Error as exc:
        raise CSVError(
            f"Line {reader.line_num} cannot be read as CSV ({exc}); check its quotes."
        ) from exc
    if header is None:
        raise CSVError("The file has no header row (only blank lines).")
    if ragged:
        line, count = ragged[0]
        more = f" (and {len(ragged) - 1} more lines like it)" if len(ragged) > 1 else ""
        raise CSVError(
            f"Line {line} has {count} values but the header has {len(header)} columns{more}. "
            "A value with a comma in it must be in double quotes."
        )
    if not rows:
        raise CSVError("The file has a header row but no rows to import.")
    return ParsedCSV(columns=columns, rows=rows, delimiter=delimiter, encoding=encoding)


def text_lines(values: list[str]) -> int:
    """How many extra physical lines a record's quoted values span."""
    return sum(v.count("\n") for v in values)


def _check_header(header: list[str], line: int) -> None:
    data_like = [h for h in header if h and _looks_like_data(h)]
    if data_like:
        raise CSVError(
            f"The first line looks like data ({data_like[0]!r}), not column names: "
            "add a header row naming each column."
        )
    for n, name in enumerate(header, 1):
        if not name:
            raise CSVError(f"Column {n} of the header row (line {line}) has no name.")
    seen: set[str] = set()
    for name in header:
        if name.lower() in seen:
            raise CSVError(f"The header row names the column {name!r} twice.")
        seen.add(name.lower())
