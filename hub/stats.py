"""The published figures: per department, unit, outlet or item, over a period of local days.

Definitions (docs/statistics.md says the same for readers):

- received: applications the hub received in the period.
- completed: applications the department decided (approved, rejected, or refused) in the
  period — 办结. on_time: of those, decided on or before the due date, or decided before the
  clock started (refused at acceptance); on_time_rate = on_time / completed (按时办结率).
- overdue_now: accepted applications past their due date today, whatever the period.
- avg_days_to_completion: mean calendar days from capture at the outlet to the decision,
  over the completed ones.
- mailed / delivered / returned: shipments posted, delivered, returned in the period.
- ratings, satisfied, bad: ratings given in the period, not counting excluded ones;
  satisfied is 非常满意 + 满意 + 基本满意; satisfaction_rate = satisfied / ratings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from hub import store
from hub.catalogue import Catalogue
from hub.errors import HubError
from hub.ratings import SATISFIED
from sync.clock import CHINA

GROUPINGS = ("department", "unit", "outlet", "item")
COUNTS = (
    "received",
    "completed",
    "on_time",
    "overdue_now",
    "mailed",
    "delivered",
    "returned",
    "ratings",
    "satisfied",
    "bad",
    "excluded",
)
COLUMNS = (
    "key",
    "name",
    *COUNTS[:3],
    "on_time_rate",
    "overdue_now",
    "avg_days_to_completion",
    *COUNTS[4:],
    "satisfaction_rate",
)
NONE = "-"  # the group of applications with no unit yet (in triage)
_DAY_MS = 86_400_000


class StatsError(HubError):
    """A statistics request that cannot be answered; ``field`` names the parameter."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


# The days a period may name: from the protocol's earliest time (sync.types.Millis, 1990) to
# a year no deadline reaches; date.max would overflow the day after it.
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2999, 12, 31)


def period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The period [start, end] in local days; the last 30 days by default."""
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        raise StatsError(f"to: {end!r} is not a date like 2026-11-23", "to") from None
    _within("to", last)  # before the default start is counted back from it
    try:
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError:
        raise StatsError(f"from: {start!r} is not a date like 2026-11-01", "from") from None
    _within("from", first)
    if first > last:
        raise StatsError("from: the period starts after it ends", "from")
    if (last - first).days > 3660:
        raise StatsError("from: a period is at most ten years", "from")
    return first, last


def _within(name: str, day: date) -> None:
    """A day the hub's millisecond times can hold, or a refusal naming the field."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise StatsError(f"{name}: a date from {FIRST_DAY} to {LAST_DAY}", name)


def _bounds(first: date, last: date) -> tuple[int, int]:
    start = datetime.combine(first, time(), CHINA)
    end = datetime.combine(last + timedelta(days=1), time(), CHINA)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def _group_key(by: str, catalogue: Catalogue, row: dict[str, Any]) -> str:
    if by == "department":
        unit = row["unit"]
        for department in catalogue.departments:
            if any(u.code == unit for u in department.units):
                return department.code
        return NONE
    return row[by] or NONE


def _names(by: str, db: Database, catalogue: Catalogue) -> dict[str, str]:
    if by == "department":
        return {d.code: d.name for d in catalogue.departments}
    if by == "unit":
        return catalogue.units()
    if by == "outlet":
        return {o["code"]: o["name"] for o in store.devices.list_outlets(db)}
    return {i.code: i.name for i in catalogue.items}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _finish(key: str, name: str, sums: dict[str, int]) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, "name": name}
    row.update({c: sums.get(c, 0) for c in COUNTS})
    row["on_time_rate"] = _rate(row["on_time"], row["completed"])
    row["satisfaction_rate"] = _rate(row["satisfied"], row["ratings"])
    ms = sums.get("completion_ms", 0)
    row["avg_days_to_completion"] = (
        round(ms / row["completed"] / _DAY_MS, 2) if row["completed"] else None
    )
    return row


def statistics(
    db: Database,
    catalogue: Catalogue,
    *,
    by: str,
    start: str | None = None,
    end: str | None = None,
    today: date,
) -> dict[str, Any]:
    """The figures per group, and their total, for the period."""
    if by not in GROUPINGS:
        raise StatsError(f"by: one of {', '.join(GROUPINGS)}", "by")
    first, last = period(start, end, today)
    lo, hi = _bounds(first, last)
    parts: Iterable[dict[str, Any]] = [
        *store.stats.received(db, lo, hi),
        *store.stats.completed(db, lo, hi),
        *store.stats.overdue_now(db),
        *store.stats.mail(db, lo, hi),
        *store.stats.ratings(db, lo, hi, SATISFIED),
    ]
    groups: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for part in parts:
        sums = groups.setdefault(_group_key(by, catalogue, part), {})
        for name, value in part.items():
            if name in ("unit", "outlet", "item") or value is None:
                continue
            sums[name] = sums.get(name, 0) + int(value)
            total[name] = total.get(name, 0) + int(value)
    names = _names(by, db, catalogue)
    rows = [_finish(key, names.get(key, ""), groups[key]) for key in sorted(groups)]
    return {
        "by": by,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "rows": rows,
        "total": _finish("total", "", total),
    }


def daily(db: Database, *, start: str | None, end: str | None, today: date) -> dict[str, Any]:
    """Received and completed per local day of the period (throughput)."""
    first, last = period(start, end, today)
    lo, hi = _bounds(first, last)
    offset = 8 * 3600 * 1000
    seen = {
        int(row["d"]): (row["received"], row["completed"])
        for row in store.stats.daily_received(db, lo, hi, offset)
    }
    days = []
    day = first
    while day <= last:
        number = (int(datetime.combine(day, time(), CHINA).timestamp() * 1000) + offset) // _DAY_MS
        received, completed = seen.get(number, (0, 0))
        days.append({"day": day.isoformat(), "received": received, "completed": completed})
        day += timedelta(days=1)
    return {"from": first.isoformat(), "to": last.isoformat(), "days": days}


RATES = ("on_time_rate", "satisfaction_rate")


def export_rows(
    report: dict[str, Any],
    headers: Mapping[str, str] | None = None,
    total: str = "total",
) -> list[list[Any]]:
    """The report as a table for a file: the header row, then a row per group and the
    total's (its key ``total``, or the reader's word for it). ``headers`` names the columns
    in the reader's language (a column it leaves out keeps its code; the key column is named
    after the grouping); the values stay as computed (rates as fractions, None where none)."""
    names = dict(headers or {})
    head = [names.get(c, report["by"] if c == "key" else c) for c in COLUMNS]
    body = [[row[c] for c in COLUMNS] for row in report["rows"]]
    body.append([total if c == "key" else report["total"][c] for c in COLUMNS])
    return [head, *body]


def percent(rate: float) -> str:
    """A rate as the percentage a reader expects: 0.9167 -> '91.7%'."""
    return f"{rate * 100:.1f}%"


def to_csv(
    report: dict[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    total: str = "total",
    percentages: bool = False,
) -> str:
    """The report as CSV (with a byte-order mark, so spreadsheet programs read the Chinese).

    Without ``headers`` the columns are named by their codes and rates are fractions, for
    scripts (the API, the CLI); the pages pass the reader's words and ``percentages``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    rates = {COLUMNS.index(c) for c in RATES}
    head, *body = export_rows(report, headers, total)
    writer.writerow(head)
    for row in body:
        cells: list[Any] = ["" if v is None else v for v in row]
        if percentages:
            cells = [percent(v) if i in rates and v != "" else v for i, v in enumerate(cells)]
        writer.writerow(cells)
    return out.getvalue()


def to_xlsx(
    report: dict[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    total: str = "total",
    title: str = "",
) -> bytes:
    """The report as an Excel workbook (openpyxl): one sheet, the same rows as the CSV,
    numbers as numbers and rates as numbers formatted as percentages (0.0%)."""
    # Imported here: only this download needs it, and it takes a tenth of a second to load.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = (title or f"{report['by']} {report['from']}")[:31]
    rows = export_rows(report, headers, total)
    rates = {COLUMNS.index(c) + 1 for c in RATES}
    for n, row in enumerate(rows, start=1):
        sheet.append(row)
        for i, cell in enumerate(sheet[n], start=1):
            if n in (1, len(rows)):  # the header and the total
                cell.font = Font(bold=True)
            if n > 1 and i in rates and cell.value is not None:
                cell.number_format = "0.0%"
    sheet.freeze_panes = "B2"
    for index, column in enumerate(sheet.columns, start=1):
        widest = max(len(str(c.value or "")) for c in column)  # CJK characters count twice
        sheet.column_dimensions[get_column_letter(index)].width = min(max(8, widest * 2 + 2), 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
