"""China's clock. Every date and time a person reads, and every working-day count, is in
China Standard Time, whatever zone the machine is set to (a laptop set to UTC still shows the
counter's own day). China has no daylight saving, so a fixed offset is exact."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def china_date(ms: int) -> date:
    """The calendar day in China at a Unix-millisecond instant."""
    return datetime.fromtimestamp(ms / 1000, CHINA).date()


def china_time(ms: int) -> str:
    """``2026-11-23 09:30``: an instant as a person in China reads it."""
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M")
