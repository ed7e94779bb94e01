"""Alarms the sweep raises for operators (a holiday schedule missing, quiet shipments), and
the hub's own facts (when it was created)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def raise_alarm(db: Database, *, key: str, level: str, message: str, now: int) -> None:
    db.execute(
        "INSERT INTO alarms (key, level, message, raised_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET level = excluded.level, message = excluded.message,"
        " cleared_at = NULL",
        [key, level, message, now],
    )


def clear_alarm(db: Database, *, key: str, now: int) -> None:
    db.execute("UPDATE alarms SET cleared_at = ? WHERE key = ? AND cleared_at IS NULL", [now, key])


def active_alarms(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM alarms WHERE cleared_at IS NULL ORDER BY raised_at"))


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])
