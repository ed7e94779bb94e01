"""The operator's holiday schedule: days overridden, years loaded complete."""

from __future__ import annotations

from sqlite_utils import Database


def calendar_overrides(db: Database) -> tuple[dict[str, bool], set[int]]:
    days = {r["day"]: bool(r["workday"]) for r in db.query("SELECT * FROM calendar_overrides")}
    years = {int(r["year"]) for r in db.query("SELECT year FROM calendar_years")}
    return days, years


def load_calendar_year(
    db: Database, *, year: int | None, days: list[tuple[str, bool, str]], now: int
) -> None:
    db.conn.executemany(
        "INSERT INTO calendar_overrides (day, workday, name) VALUES (?, ?, ?)"
        " ON CONFLICT (day) DO UPDATE SET workday = excluded.workday, name = excluded.name",
        [(d, int(w), n) for d, w, n in days],
    )
    if year is not None:
        db.execute(
            "INSERT OR REPLACE INTO calendar_years (year, loaded_at) VALUES (?, ?)", [year, now]
        )
