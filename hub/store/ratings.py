"""Ratings (好差评), their follow-ups, and the per-city settings those follow."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def rating_for(db: Database, application: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM ratings WHERE application = ?", [application]))
    return rows[0] if rows else None


def get_rating(db: Database, rating_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM ratings WHERE id = ?", [rating_id]))
    return rows[0] if rows else None


def exclude_rating(db: Database, rating_id: str, *, reason: str, by: str, now: int) -> None:
    db.execute(
        "UPDATE ratings SET excluded_reason = ?, excluded_by = ?, excluded_at = ? WHERE id = ?",
        [reason, by, now, rating_id],
    )


def add_followup(db: Database, row: dict[str, Any]) -> int:
    followup_id = db.table("followups").insert(row).last_pk
    if followup_id is None:  # an insert into a rowid table always sets it
        raise RuntimeError("the new follow-up got no id")
    return int(followup_id)


def get_followup(db: Database, followup_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT f.*, r.level, r.comment, r.staff, a.receipt, a.item, a.unit FROM followups f"
            " JOIN ratings r ON r.id = f.rating JOIN applications a ON a.id = f.application"
            " WHERE f.id = ?",
            [followup_id],
        )
    )
    return rows[0] if rows else None


def followup_for_rating(db: Database, rating_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM followups WHERE rating = ?", [rating_id]))
    return rows[0] if rows else None


def list_followups(db: Database, *, state: str | None = None) -> list[dict[str, Any]]:
    where = "WHERE f.state = ?" if state else ""
    return list(
        db.query(
            "SELECT f.*, r.level, r.comment, r.staff, a.receipt, a.item, a.unit FROM followups f"
            " JOIN ratings r ON r.id = f.rating JOIN applications a ON a.id = f.application"
            f" {where} ORDER BY f.due_date, f.id",
            [state] if state else [],
        )
    )


def close_followup(
    db: Database, followup_id: int, *, state: str, note: str, by: str, now: int
) -> None:
    db.execute(
        "UPDATE followups SET state = ?, resolution = ?, resolved_by = ?, resolved_at = ?"
        " WHERE id = ?",
        [state, note, by, now, followup_id],
    )


def followup_days(db: Database, city: str) -> int | None:
    rows = list(db.query("SELECT followup_days FROM city_settings WHERE city = ?", [city]))
    return int(rows[0]["followup_days"]) if rows else None


def set_followup_days(db: Database, city: str, days: int) -> None:
    db.execute(
        "INSERT INTO city_settings (city, followup_days) VALUES (?, ?)"
        " ON CONFLICT(city) DO UPDATE SET followup_days = excluded.followup_days",
        [city, days],
    )


def city_settings(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT city, followup_days FROM city_settings ORDER BY city"))
