"""A plain-text table: metric, value, goal, pass/fail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    metric: str
    value: str
    goal: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "FAIL")


def table(rows: list[Row]) -> str:
    header = ("metric", "value", "goal", "pass/fail")
    cells = [header] + [(r.metric, r.value, r.goal, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]

    def line(c: tuple[str, ...]) -> str:
        return "  ".join(
            c[i].ljust(widths[i]) if i != 1 else c[i].rjust(widths[i]) for i in range(4)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(c) for c in cells[1:])])
