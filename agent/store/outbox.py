"""The outbox, the batch in flight, and the log of sync rounds."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def add(
    db: Database, *, record_id: str, kind: str, application: str | None, body: bytes, now: int
) -> None:
    db.execute(
        "INSERT INTO outbox (record_id, kind, application, body, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [record_id, kind, application, body, now],
    )


def pending(
    db: Database, *, exclude: set[str] | None = None, limit: int = 100_000, after: int = 0
) -> list[dict]:
    """Outbox entries oldest first; ``after``: only those queued after that outbox seq."""
    cursor = db.execute(
        "SELECT seq, record_id, kind, application, body, created_at, attempts, last_error"
        " FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
        [after, limit],
    )
    keys = [c[0] for c in cursor.description]
    rows = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    return [r for r in rows if not exclude or r["record_id"] not in exclude]


def rows(db: Database, record_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Outbox entries by record id (one query)."""
    if not record_ids:
        return {}
    marks = ", ".join("?" * len(record_ids))
    return {
        r["record_id"]: r
        for r in db.query(f"SELECT * FROM outbox WHERE record_id IN ({marks})", record_ids)
    }


def count(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def remove(db: Database, record_ids: list[str]) -> None:
    db.conn.executemany("DELETE FROM outbox WHERE record_id = ?", [(i,) for i in record_ids])


def get(db: Database, record_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM outbox WHERE record_id = ?", [record_id]))
    return rows[0] if rows else None


def note_attempt(db: Database, record_ids: list[str], error: str) -> None:
    db.conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE record_id = ?",
        [(error, i) for i in record_ids],
    )


def inflight(db: Database) -> dict[str, Any] | None:
    """The oldest batch sent but not yet acknowledged, if any."""
    rows = inflights(db)
    return rows[0] if rows else None


def inflights(db: Database) -> list[dict[str, Any]]:
    """Every batch sent but not yet acknowledged, oldest first (at most three: see syncer.push)."""
    rows = list(db.query("SELECT * FROM inflight ORDER BY seq"))
    for row in rows:
        row["records"] = json.loads(row["records"])
    return rows


def set_inflight(
    db: Database, *, batch: str, seq: int, frame: bytes, records: list[str], now: int
) -> None:
    db.execute(
        "INSERT INTO inflight (batch, seq, frame, records, created_at) VALUES (?, ?, ?, ?, ?)",
        [batch, seq, frame, json.dumps(records), now],
    )


def clear_inflight(db: Database, batch: str) -> None:
    db.execute("DELETE FROM inflight WHERE batch = ?", [batch])


def log_round(db: Database, **row: Any) -> None:
    db.execute(
        "INSERT INTO sync_log (started_at, finished_at, outcome, pushed, pulled, uploaded, message)"
        " VALUES (:started_at, :finished_at, :outcome, :pushed, :pulled, :uploaded, :message)",
        row,
    )


def last_round(db: Database, outcome: str | None = None) -> dict[str, Any] | None:
    where, args = ("WHERE outcome = ?", [outcome]) if outcome else ("", [])
    rows = list(db.query(f"SELECT * FROM sync_log {where} ORDER BY id DESC LIMIT 1", args))
    return rows[0] if rows else None


def revoked_round(db: Database, *, since: int = 0) -> dict[str, Any] | None:
    """The latest sync round, started at ``since`` or later (the device's enrolment), in which
    the hub refused this device as revoked (agent/rounds.py: HubRefused ``device_revoked``,
    logged by syncer.sync_once as ``message (device_revoked)``), unless a round succeeded
    after it. Rounds that did not reach the hub (offline) change nothing."""
    rows = list(
        db.query(
            "SELECT * FROM sync_log WHERE outcome = 'HubRefused'"
            " AND message LIKE '%(device_revoked)' AND started_at >= ?"
            " AND id > COALESCE((SELECT MAX(id) FROM sync_log WHERE outcome = 'ok'), 0)"
            " ORDER BY id DESC LIMIT 1",
            [since],
        )
    )
    return rows[0] if rows else None
