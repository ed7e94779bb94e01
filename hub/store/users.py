"""Hub users (operators, officers, admins) and the sign-in throttle."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


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


def set_user_disabled(db: Database, name: str, *, disabled: bool) -> bool:
    """Disable (or enable) a user; False if there is no such user."""
    cursor = db.execute("UPDATE users SET disabled = ? WHERE name = ?", [int(disabled), name])
    return bool(cursor.rowcount)


def set_token_hash(db: Database, name: str, token_hash: str) -> bool:
    """Give a user a new API token (its hash); the old one stops working at once."""
    cursor = db.execute("UPDATE users SET token_hash = ? WHERE name = ?", [token_hash, name])
    return bool(cursor.rowcount)
