"""Key-value settings the device keeps: identity, hub keys, cursor, counters."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def get(db: Database, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return json.loads(row[0]) if row else default


def put(db: Database, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value, ensure_ascii=False)],
    )


def next_counter(db: Database, key: str) -> int:
    """Increment and return a counter (receipt numbers, batch sequence)."""
    value = int(get(db, key, 0)) + 1
    put(db, key, value)
    return value


def delete(db: Database, key: str) -> None:
    """Forget a setting (``get`` gives its default again)."""
    db.execute("DELETE FROM meta WHERE key = ?", [key])
