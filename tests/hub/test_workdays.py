"""hub.workdays: working days on the official calendar and the time-limit clock.

Dates for 2026 are the State Council's schedule as shipped by chinese_calendar; the tests
assert the package still says so before relying on it.
"""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from hub import workdays
from hub.workdays import (
    CalendarError,
    CalendarFileError,
    DayOverride,
    Due,
    WorkCalendar,
    due_after_resume,
    due_date,
    parse_overrides,
    sla_state,
    years_needing_schedule,
)

D = date


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar({}, [])


# The official 2027 schedule as an operator would load it. Only New Year's Day matters for the
# tests; the Spring Festival rows show the file's shape.
SCHEDULE_2027 = """\ufeffdate,workday,name
# 2027 schedule
2027-01-01,0,元旦
2027-02-06,0,春节
2027-02-07,上班,春节调休
"""


@pytest.fixture
def cal_2027() -> WorkCalendar:
    rows = parse_overrides(SCHEDULE_2027)
    return WorkCalendar({r.day: r.workday for r in rows}, [2027])


# --- the package data these tests rely on -------------------------------------------------


def test_package_knows_2026_but_not_2027():
    assert chinese_calendar.is_workday(D(2026, 2, 14))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 1, 4))


def test_year_known(cal, cal_2027):
    assert cal.year_known(2004) and cal.year_known(2026)
    assert not cal.year_known(2003) and not cal.year_known(2027)
    assert cal_2027.year_known(2027)


# --- Spring Festival 2026: rest 15-23 February, Saturdays 14 and 28 February worked ---------

SPRING_REST = days(D(2026, 2, 15), D(2026, 2, 23))
SPRING_MAKEUP = [D(2026, 2, 14), D(2026, 2, 28)]


def test_spring_festival_2026_in_the_package():
    for day in SPRING_REST:
        assert chinese_calendar.get_holiday_detail(day) == (True, "Spring Festival")
    for day in SPRING_MAKEUP:
        assert day.weekday() == 5
        assert chinese_calendar.get_holiday_detail(day) == (False, "Spring Festival")
    assert chinese_calendar.is_workday(D(2026, 2, 13))
    assert chinese_calendar.is_workday(D(2026, 2, 24))


def test_spring_festival_2026(cal):
    for day in SPRING_REST:
        assert cal.is_workday(day) == (False, False), day
    for day in SPRING_MAKEUP:
        assert cal.is_workday(day) == (True, False), day
    assert cal.is_workday(D(2026, 3, 1)) == (False, False)  # an ordinary Sunday
    assert cal.next_workday_after(D(2026, 2, 14)) == (D(2026, 2, 24), False)
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == (6, False)


# --- National Day 2026: rest 1-7 October, Sunday 20 September and Saturday 10 October worked --

NATIONAL_REST = days(D(2026, 10, 1), D(2026, 10, 7))
NATIONAL_MAKEUP = [D(2026, 9, 20), D(2026, 10, 10)]


def test_national_day_2026_in_the_package():
    for day in NATIONAL_REST:
        assert chinese_calendar.get_holiday_detail(day) == (True, "National Day")
    for day in NATIONAL_MAKEUP:
        assert day.weekday() >= 5
        assert chinese_calendar.get_holiday_detail(day) == (False, "National Day")


def test_national_day_2026(cal):
    for day in NATIONAL_REST:
        assert cal.is_workday(day) == (False, False), day
    for day in NATIONAL_MAKEUP:
        assert cal.is_workday(day) == (True, False), day
    assert cal.is_workday(D(2026, 10, 11)) == (False, False)
    assert cal.next_workday_after(D(2026, 9, 30)) == (D(2026, 10, 8), False)


# --- counting --------------------------------------------------------------------------------


def test_add_working_days_zero_is_the_start_day(cal):
    assert cal.add_working_days(D(2026, 2, 15), 0) == Due(D(2026, 2, 15), False)
    assert cal.add_working_days(D(2027, 6, 5), 0) == Due(D(2027, 6, 5), False)


def test_add_working_days_refuses_negative(cal):
    with pytest.raises(CalendarError, match="negative"):
        cal.add_working_days(D(2026, 3, 2), -1)


def test_working_days_between_is_half_open(cal):
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == (0, False)
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 3)) == (1, False)
    assert cal.working_days_between(D(2026, 3, 6), D(2026, 3, 2)) == (0, False)


def test_working_days_between_agrees_with_add_working_days(cal):
    start = D(2026, 1, 1)
    for n in range(0, 300, 7):  # runs into 2027, so the later ones are provisional
        due = cal.add_working_days(start, n)
        assert cal.working_days_between(start, due.date) == (n, due.provisional)
    assert cal.add_working_days(start, 294).provisional


# --- due dates -------------------------------------------------------------------------------


def test_due_date_spanning_the_spring_festival(cal):
    # Friday 13 Feb: day 1 is the worked Saturday, then nothing until 24 Feb.
    assert due_date(cal, D(2026, 2, 13), 5) == Due(D(2026, 2, 27), False)
    assert due_date(cal, D(2026, 2, 13), 1) == Due(D(2026, 2, 14), False)
    assert due_date(cal, D(2026, 2, 13), 2) == Due(D(2026, 2, 24), False)


def test_due_date_accepted_on_a_friday(cal):
    assert due_date(cal, D(2026, 3, 6), 1) == Due(D(2026, 3, 9), False)
    assert due_date(cal, D(2026, 3, 6), 3) == Due(D(2026, 3, 11), False)
    assert due_date(cal, D(2026, 3, 6), 5) == Due(D(2026, 3, 13), False)


def test_due_date_accepted_on_a_holiday(cal):
    # Saturday 3 Oct is inside National Day; counting starts on Thursday 8 Oct.
    assert due_date(cal, D(2026, 10, 3), 1) == Due(D(2026, 10, 8), False)
    assert due_date(cal, D(2026, 10, 3), 3) == Due(D(2026, 10, 10), False)
    assert due_date(cal, D(2026, 10, 3), 4) == Due(D(2026, 10, 12), False)


def test_due_date_reaching_into_an_unknown_year_is_provisional(cal):
    # 22-31 Dec 2026 hold 8 working days; Fri 1 Jan and Mon 4 Jan 2027 are guessed.
    assert due_date(cal, D(2026, 12, 21), 8) == Due(D(2026, 12, 31), False)
    assert due_date(cal, D(2026, 12, 21), 10) == Due(D(2027, 1, 4), True)
    assert cal.is_workday(D(2027, 1, 1)) == (True, True)
    assert cal.is_workday(D(2027, 1, 2)) == (False, True)


def test_due_date_with_2027_loaded_uses_the_overrides(cal_2027):
    assert cal_2027.is_workday(D(2027, 1, 1)) == (False, False)
    assert cal_2027.is_workday(D(2027, 1, 4)) == (True, False)  # not listed: an ordinary Monday
    assert cal_2027.is_workday(D(2027, 2, 7)) == (True, False)  # a worked Sunday
    assert due_date(cal_2027, D(2026, 12, 21), 10) == Due(D(2027, 1, 5), False)


def test_an_override_in_an_unloaded_year_is_not_provisional(cal):
    partial = WorkCalendar({D(2027, 1, 1): False}, [])
    assert partial.is_workday(D(2027, 1, 1)) == (False, False)
    assert partial.is_workday(D(2027, 1, 4)) == (True, True)
    assert due_date(partial, D(2026, 12, 31), 1) == Due(D(2027, 1, 4), True)


def test_an_override_corrects_a_known_year():
    # Suppose the package had 9 Oct 2026 wrong, or a local order closed offices that day.
    fixed = WorkCalendar({D(2026, 10, 9): False, D(2026, 10, 11): True}, [])
    assert fixed.is_workday(D(2026, 10, 9)) == (False, False)
    assert fixed.is_workday(D(2026, 10, 11)) == (True, False)
    assert due_date(fixed, D(2026, 10, 7), 2) == Due(D(2026, 10, 10), False)
    assert due_date(fixed, D(2026, 10, 7), 3) == Due(D(2026, 10, 11), False)


# --- the paused clock ------------------------------------------------------------------------


def test_no_pauses_is_the_plain_due_date(cal):
    assert due_after_resume(cal, D(2026, 2, 13), 5, []) == due_date(cal, D(2026, 2, 13), 5)


def test_pause_spanning_national_day(cal):
    # Accepted Mon 21 Sep, 10 days. Supplement asked Wed 23 Sep: 22 and 23 Sep are used (2).
    # It arrived Thu 8 Oct: the other 8 run 9, 10 (worked Saturday), 12-16, 19 Oct.
    pauses = [(D(2026, 9, 23), D(2026, 10, 8))]
    assert due_after_resume(cal, D(2026, 9, 21), 10, pauses) == Due(D(2026, 10, 19), False)
    # Unpaused it would have run 22-24, 28-30 Sep (25 Sep is Mid-autumn), 8-10 and 12 Oct.
    assert due_date(cal, D(2026, 9, 21), 10) == Due(D(2026, 10, 12), False)


def test_resume_on_a_holiday_counts_from_the_next_working_day(cal):
    pauses = [(D(2026, 9, 23), D(2026, 10, 3))]
    assert due_after_resume(cal, D(2026, 9, 21), 3, pauses) == Due(D(2026, 10, 8), False)


def test_open_pause_has_no_due_date(cal):
    assert due_after_resume(cal, D(2026, 9, 21), 10, [(D(2026, 9, 23), None)]) is None


def test_two_pauses(cal):
    # Used: 22-23 Sep (2), then 9-10 Oct (2); resumed Wed 14 Oct, 6 left: 15, 16, 19-22 Oct.
    pauses = [(D(2026, 9, 23), D(2026, 10, 8)), (D(2026, 10, 10), D(2026, 10, 14))]
    assert due_after_resume(cal, D(2026, 9, 21), 10, pauses) == Due(D(2026, 10, 22), False)
    open_second = [pauses[0], (D(2026, 10, 10), None)]
    assert due_after_resume(cal, D(2026, 9, 21), 10, open_second) is None


def test_pause_on_the_acceptance_day_uses_nothing(cal):
    pauses = [(D(2026, 3, 2), D(2026, 3, 6))]
    assert due_after_resume(cal, D(2026, 3, 2), 1, pauses) == Due(D(2026, 3, 9), False)


def test_a_pause_after_the_limit_ran_out_keeps_the_due_date(cal):
    # Due Wed 4 Mar; a supplement asked on 5 Mar (or even left open) does not move it.
    assert due_date(cal, D(2026, 3, 2), 2) == Due(D(2026, 3, 4), False)
    for resumed in (D(2026, 3, 20), None):
        pauses = [(D(2026, 3, 5), resumed)]
        assert due_after_resume(cal, D(2026, 3, 2), 2, pauses) == Due(D(2026, 3, 4), False)


def test_a_paused_due_date_pushed_into_2027_is_provisional(cal, cal_2027):
    # 1 Dec used; resumed 28 Dec, 5 left: 29-31 Dec, then 2027 (1 Jan is 元旦 once loaded).
    pauses = [(D(2026, 12, 1), D(2026, 12, 28))]
    assert due_after_resume(cal, D(2026, 11, 30), 6, pauses) == Due(D(2027, 1, 4), True)
    assert due_after_resume(cal_2027, D(2026, 11, 30), 6, pauses) == Due(D(2027, 1, 5), False)


@pytest.mark.parametrize(
    ("pauses", "message"),
    [
        ([(D(2026, 3, 1), D(2026, 3, 4))], "before acceptance"),
        ([(D(2026, 3, 5), D(2026, 3, 4))], "before it starts"),
        ([(D(2026, 3, 3), D(2026, 3, 6)), (D(2026, 3, 5), None)], "before the previous pause"),
        ([(D(2026, 3, 3), None), (D(2026, 3, 5), D(2026, 3, 6))], "still open"),
    ],
)
def test_inconsistent_pauses_are_refused(cal, pauses, message):
    with pytest.raises(CalendarError, match=message):
        due_after_resume(cal, D(2026, 3, 2), 30, pauses)


# --- SLA state -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (D(2026, 2, 13), "on_track"),
        (D(2026, 2, 24), "on_track"),  # 25, 26, 27 left
        (D(2026, 2, 25), "due_soon"),  # 26, 27 left
        (D(2026, 2, 27), "due_soon"),  # the due day itself
        (D(2026, 2, 28), "overdue"),
    ],
)
def test_sla_state_around_the_due_date(cal, today, state):
    assert sla_state(cal, Due(D(2026, 2, 27), False), today) == state


def test_sla_state_counts_working_days_not_calendar_days(cal):
    # Nine calendar days before the due date, but only 24 and 25 Feb are working days.
    due = Due(D(2026, 2, 25), False)
    assert sla_state(cal, due, D(2026, 2, 16)) == "due_soon"
    assert sla_state(cal, due, D(2026, 2, 16), warn_days=1) == "on_track"
    assert sla_state(cal, due, D(2026, 2, 25), warn_days=0) == "due_soon"
    assert sla_state(cal, due, D(2026, 2, 24), warn_days=0) == "on_track"


# --- the alarm for next year's schedule ------------------------------------------------------


def test_years_needing_schedule(cal, cal_2027):
    assert years_needing_schedule(cal, D(2026, 11, 25)) == [2027]
    assert years_needing_schedule(cal, D(2026, 6, 1)) == []
    assert years_needing_schedule(cal, D(2026, 11, 25), horizon_days=30) == []
    assert years_needing_schedule(cal_2027, D(2026, 11, 25)) == []
    assert years_needing_schedule(cal_2027, D(2027, 11, 25)) == [2028]
    assert years_needing_schedule(cal, D(2027, 3, 1), horizon_days=400) == [2027, 2028]


# --- the override file -----------------------------------------------------------------------


def test_parse_overrides():
    assert parse_overrides(SCHEDULE_2027) == [
        DayOverride(D(2027, 1, 1), False, "元旦"),
        DayOverride(D(2027, 2, 6), False, "春节"),
        DayOverride(D(2027, 2, 7), True, "春节调休"),
    ]


def test_parse_overrides_accepts_every_spelling_of_workday():
    text = (
        "Date, Workday, Name\n"
        "2027-03-01,1,a\n2027-03-02,0,b\n2027-03-03,true,c\n2027-03-04,FALSE,d\n"
        "2027-03-05,上班,e\n2027-03-06,休息,f\n\n2027-03-07,0\n"
    )
    rows = parse_overrides(text)
    assert [r.workday for r in rows] == [True, False, True, False, True, False, False]
    assert rows[-1].name == ""


def test_parse_overrides_header_only_is_empty():
    assert parse_overrides("date,workday,name\n") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^line 1: expected the header date,workday,name$"),
        ("2027-01-01,0,元旦\n", r"^line 1: expected the header"),
        ("date,workday,name\n2027-1-1,0,元旦\n", r"^line 2: bad date '2027-1-1': expected YYYY"),
        ("date,workday,name\n2027/01/01,0,x\n", r"^line 2: bad date"),
        ("date,workday,name\n2027-02-30,0,x\n", r"^line 2: bad date '2027-02-30': no such day$"),
        ("date,workday,name\n\n2027-01-01,yes,元旦\n", r"^line 3: bad workday value 'yes'"),
        ("date,workday,name\n2027-01-01,,元旦\n", r"^line 2: bad workday value ''"),
        ("date,workday,name\n2027-01-01\n", r"^line 2: expected 3 columns"),
        ("date,workday,name\n2027-01-01,0,a,b\n", r"^line 2: expected 3 columns"),
        (
            "date,workday,name\n2027-01-01,0,元旦\n2027-01-02,0,x\n2027-01-01,1,x\n",
            r"^line 4: duplicate date 2027-01-01, already on line 2$",
        ),
    ],
)
def test_parse_overrides_refuses_bad_rows(text, message):
    with pytest.raises(CalendarFileError, match=message) as caught:
        parse_overrides(text)
    assert isinstance(caught.value, ValueError)


def test_parse_overrides_error_carries_the_line():
    with pytest.raises(CalendarFileError) as caught:
        parse_overrides("date,workday,name\n2027-01-01,0,x\n2027-13-01,0,x\n")
    assert caught.value.line == 3


# --- purity ----------------------------------------------------------------------------------


def test_calendar_module_reads_no_clock_and_does_no_io():
    tree = ast.parse(Path(workdays.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            assert name not in {"today", "now", "utcnow", "time", "open", "getenv"}, name
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for module in names:
                assert module.split(".")[0] not in {"os", "time", "sqlite3", "pathlib"}, module
