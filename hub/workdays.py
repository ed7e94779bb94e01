"""Working days on China's official calendar, and the clock for promised time limits.

Statutory holidays and the weekend days swapped to working days around them come from the
``chinese_calendar`` package, which ships the State Council's schedule for each year it knows.
The next year's schedule is announced around November, so a hub will meet dates the package
does not know yet. Those are never guessed silently: such a day falls back to Monday-Friday
working and is marked *provisional*, and every due date computed over it says so. An operator
can load the official schedule from a CSV (:func:`parse_overrides`); overridden days win over
the package, so the same file also corrects a known year.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import chinese_calendar

from hub.errors import HubError

__all__ = [
    "CalendarError",
    "CalendarFileError",
    "DayOverride",
    "Due",
    "SlaState",
    "WorkCalendar",
    "due_after_resume",
    "due_date",
    "parse_overrides",
    "sla_state",
    "years_needing_schedule",
]

ONE_DAY = timedelta(days=1)
SlaState = Literal["overdue", "due_soon", "on_track"]


class CalendarError(HubError):
    """A working-day computation was asked something it cannot answer: a rule of the hub
    broken (pauses that do not add up), so the hub's failure, logged, not the caller's."""

    code = "internal"
    status = 500


class CalendarFileError(CalendarError):
    """A calendar override file has a bad row; the message names the line."""

    code = "invalid"
    status = 400

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Due:
    """A due date; ``provisional`` if it rests on a year whose schedule is not known."""

    date: date
    provisional: bool


@dataclass(frozen=True)
class DayOverride:
    """One operator-entered day: working or not, and why (e.g. 春节)."""

    day: date
    workday: bool
    name: str


class WorkCalendar:
    """China's working days: operator overrides, then the package, then a provisional guess."""

    def __init__(self, overrides: Mapping[date, bool], loaded_years: Iterable[int]) -> None:
        self._overrides = dict(overrides)
        self._loaded_years = frozenset(loaded_years)
        self._package_years: dict[int, bool] = {}

    def year_known(self, year: int) -> bool:
        """True if the package has the year's official schedule or an operator loaded it."""
        return year in self._loaded_years or self._package_knows(year)

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """``(is_workday, provisional)`` for ``day``."""
        if day in self._overrides:
            return self._overrides[day], False
        if self._package_knows(day.year):
            return chinese_calendar.is_workday(day), False
        # A loaded year's file lists only holidays and swapped weekends; the rest is ordinary.
        return day.weekday() < 5, day.year not in self._loaded_years

    def next_workday_after(self, day: date) -> tuple[date, bool]:
        """The first working day after ``day``, and whether any day stepped over was guessed."""
        provisional = False
        while True:
            day += ONE_DAY
            working, guessed = self.is_workday(day)
            provisional = provisional or guessed
            if working:
                return day, provisional

    def add_working_days(self, start: date, n: int) -> Due:
        """The ``n``-th working day after ``start``; ``n = 0`` is ``start`` itself."""
        if n < 0:
            raise CalendarError(f"a number of working days cannot be negative (got {n})")
        day, provisional = start, False
        for _ in range(n):
            day, guessed = self.next_workday_after(day)
            provisional = provisional or guessed
        return Due(day, provisional)

    def working_days_between(self, start: date, end: date) -> tuple[int, bool]:
        """How many working days ``d`` have ``start < d <= end``, and whether any was guessed."""
        count, provisional = 0, False
        day = start + ONE_DAY
        while day <= end:
            working, guessed = self.is_workday(day)
            count += working
            provisional = provisional or guessed
            day += ONE_DAY
        return count, provisional

    def _package_knows(self, year: int) -> bool:
        known = self._package_years.get(year)
        if known is None:
            # The package announces its range only by refusing; ask once per year.
            try:
                chinese_calendar.is_workday(date(year, 1, 1))
            except NotImplementedError:
                known = False
            else:
                known = True
            self._package_years[year] = known
        return known


def due_date(cal: WorkCalendar, accepted_on: date, limit_days: int) -> Due:
    """The last day of a limit of ``limit_days`` working days for an application accepted
    on ``accepted_on``.

    The acceptance day never counts: day 1 is the first working day after it, so a 5-day limit
    accepted on any day ends on the 5th working day after that day. A limit of 0 (即办件, done
    on the spot) is due on the acceptance day itself.
    """
    return cal.add_working_days(accepted_on, limit_days)


def due_after_resume(
    cal: WorkCalendar,
    accepted_on: date,
    limit_days: int,
    pauses: Sequence[tuple[date, date | None]],
) -> Due | None:
    """The due date once the clock has stopped for supplement requests (补正).

    Each pause runs from the day a supplement was requested to the day the outlet's supplement
    arrived (``None`` while still awaited). Working days in ``(accepted_on, first pause start]``
    are consumed, then those in ``(previous resume, next pause start]``, and the rest of the limit
    counts from the first working day after the last resume day. While a pause is open there is
    no running due date, so the result is ``None``. A limit that had already run out on or before
    the day a pause started keeps that due date: a late request does not excuse lateness.
    """
    if limit_days < 0:
        raise CalendarError(f"a time limit cannot be negative (got {limit_days} working days)")
    remaining, provisional = limit_days, False
    segment_start = accepted_on
    for number, (paused_on, resumed_on) in enumerate(pauses, start=1):
        _check_pause(number, paused_on, resumed_on, segment_start, accepted_on)
        used, guessed = cal.working_days_between(segment_start, paused_on)
        if used >= remaining:
            due = cal.add_working_days(segment_start, remaining)
            return Due(due.date, provisional or due.provisional)
        remaining -= used
        provisional = provisional or guessed
        if resumed_on is None:
            if number != len(pauses):
                raise CalendarError(f"pause {number} is still open but another pause follows it")
            return None
        segment_start = resumed_on
    due = cal.add_working_days(segment_start, remaining)
    return Due(due.date, provisional or due.provisional)


def _check_pause(
    number: int, paused_on: date, resumed_on: date | None, previous: date, accepted_on: date
) -> None:
    if paused_on < accepted_on:
        raise CalendarError(
            f"pause {number} starts on {paused_on}, before acceptance on {accepted_on}"
        )
    if paused_on < previous:
        raise CalendarError(
            f"pause {number} starts on {paused_on}, before the previous pause ended on {previous}"
        )
    if resumed_on is not None and resumed_on < paused_on:
        raise CalendarError(f"pause {number} ends on {resumed_on}, before it starts on {paused_on}")


def sla_state(cal: WorkCalendar, due: Due, today: date, warn_days: int = 2) -> SlaState:
    """``"overdue"`` after the due date, ``"due_soon"`` with at most ``warn_days`` working days
    left (0 on the due date itself), otherwise ``"on_track"``."""
    if warn_days < 0:
        raise CalendarError(f"warn_days cannot be negative (got {warn_days})")
    if today > due.date:
        return "overdue"
    left, _ = cal.working_days_between(today, due.date)
    return "due_soon" if left <= warn_days else "on_track"


def years_needing_schedule(cal: WorkCalendar, today: date, horizon_days: int = 120) -> list[int]:
    """Years from ``today`` to ``today + horizon_days`` whose official schedule is not known."""
    if horizon_days < 0:
        raise CalendarError(f"horizon_days cannot be negative (got {horizon_days})")
    last = (today + timedelta(days=horizon_days)).year
    return [year for year in range(today.year, last + 1) if not cal.year_known(year)]


HEADER = ("date", "workday", "name")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WORKDAY_VALUES = {
    "1": True,
    "true": True,
    "上班": True,
    "0": False,
    "false": False,
    "休息": False,
}


def parse_overrides(text: str) -> list[DayOverride]:
    """Read an override CSV with the header ``date,workday,name``, e.g. ``2027-02-06,0,春节``.

    ``workday`` is 1/0, true/false or 上班/休息. Blank lines and lines starting with ``#`` are
    skipped. Any bad row raises :class:`CalendarFileError` naming its line.
    """
    # Spreadsheet programs save UTF-8 CSV with a byte-order mark.
    reader = csv.reader(text.removeprefix("\ufeff").splitlines())
    rows: list[DayOverride] = []
    seen: dict[date, int] = {}
    header_seen = False
    for cells in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not header_seen:
            if tuple(cell.lower() for cell in cells) != HEADER:
                raise CalendarFileError(line, f"expected the header {','.join(HEADER)}")
            header_seen = True
            continue
        if not 2 <= len(cells) <= 3:
            raise CalendarFileError(
                line, f"expected 3 columns (date,workday,name), found {len(cells)}"
            )
        day = _parse_day(line, cells[0])
        workday = _parse_workday(line, cells[1])
        if day in seen:
            raise CalendarFileError(line, f"duplicate date {day}, already on line {seen[day]}")
        seen[day] = line
        rows.append(DayOverride(day, workday, cells[2] if len(cells) == 3 else ""))
    if not header_seen:
        raise CalendarFileError(1, f"expected the header {','.join(HEADER)}")
    return rows


def _parse_day(line: int, text: str) -> date:
    if not _ISO_DATE.match(text):
        raise CalendarFileError(line, f"bad date {text!r}: expected YYYY-MM-DD, e.g. 2027-02-06")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CalendarFileError(line, f"bad date {text!r}: no such day") from None


def _parse_workday(line: int, text: str) -> bool:
    value = _WORKDAY_VALUES.get(text.lower())
    if value is None:
        raise CalendarFileError(
            line, f"bad workday value {text!r}: expected 1 or 0, true or false, 上班 or 休息"
        )
    return value
