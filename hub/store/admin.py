"""Catalogue versions, routing overrides, calendar overrides, users, sign-in throttle, audit
log, alarms."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def current_catalogue(db: Database) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM catalogue ORDER BY version DESC LIMIT 1"))
    return rows[0] if rows else None


def save_catalogue(db: Database, *, version: int, body: str, now: int, by: str) -> None:
    db.execute(
        "INSERT INTO catalogue (version, body, imported_at, imported_by) VALUES (?, ?, ?, ?)",
        [version, body, now, by],
    )


def region_overrides(db: Database) -> dict[tuple[str, str], str]:
    return {(r["item"], r["region"]): r["unit"] for r in db.query("SELECT * FROM region_overrides")}


def set_region_override(db: Database, *, item: str, region: str, unit: str) -> None:
    db.execute(
        "INSERT INTO region_overrides (item, region, unit) VALUES (?, ?, ?)"
        " ON CONFLICT (item, region) DO UPDATE SET unit = excluded.unit",
        [item, region, unit],
    )


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


def add_user(
    db: Database,
    *,
    name: str,
    role: str,
    unit: str | None,
    password_hash: str,
    token_hash: str,
    now: int,
) -> None:
    db.execute(
        "INSERT INTO users (name, role, unit, password_hash, token_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [name, role, unit, password_hash, token_hash, now],
    )


def user_by_token(db: Database, token_hash: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM users WHERE token_hash = ? AND disabled = 0", [token_hash]))
    return rows[0] if rows else None


def user_by_name(db: Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
    return rows[0] if rows else None


def list_users(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT id, name, role, unit, created_at, disabled FROM users"))


THROTTLE_FIELDS = ("failures", "window_start", "blocked_until", "lockouts", "updated_at")


def throttle_rows(
    db: Database, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The sign-in throttle rows of these (scope, key) pairs that exist."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for scope, key in keys:
        for row in db.query(
            "SELECT * FROM signin_throttle WHERE scope = ? AND key = ?", [scope, key]
        ):
            found[(scope, key)] = row
    return found


def save_throttle(db: Database, scope: str, key: str, row: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO signin_throttle (scope, key, failures, window_start, blocked_until,"
        " lockouts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scope, key) DO UPDATE SET failures = excluded.failures,"
        " window_start = excluded.window_start, blocked_until = excluded.blocked_until,"
        " lockouts = excluded.lockouts, updated_at = excluded.updated_at",
        [scope, key, *(row[f] for f in THROTTLE_FIELDS)],
    )


def delete_throttle(db: Database, scope: str, key: str) -> None:
    db.execute("DELETE FROM signin_throttle WHERE scope = ? AND key = ?", [scope, key])


def forget_throttles(db: Database, *, before: int) -> None:
    """Drop the rows with no failure and no block since ``before``."""
    db.execute(
        "DELETE FROM signin_throttle WHERE updated_at < ? AND COALESCE(blocked_until, 0) < ?",
        [before, before],
    )


def audit(
    db: Database, *, at: int, user: str, action: str, application: str | None, detail: str = ""
) -> None:
    db.execute(
        "INSERT INTO audit_log (at, user, action, application, detail) VALUES (?, ?, ?, ?, ?)",
        [at, user, action, application, detail],
    )


def audit_entries(db: Database, application: str | None = None) -> list[dict[str, Any]]:
    if application:
        return list(
            db.query("SELECT * FROM audit_log WHERE application = ? ORDER BY id", [application])
        )
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT 500"))


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
