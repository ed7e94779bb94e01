"""Catalogue versions and the operator's routing overrides."""

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


def list_region_overrides(db: Database) -> list[dict[str, Any]]:
    """The operators' region overrides, by item then region."""
    return list(db.query("SELECT item, region, unit FROM region_overrides ORDER BY item, region"))


def delete_region_override(db: Database, *, item: str, region: str) -> bool:
    """Drop one override; False if there was none."""
    cursor = db.execute(
        "DELETE FROM region_overrides WHERE item = ? AND region = ?", [item, region]
    )
    return bool(cursor.rowcount)
