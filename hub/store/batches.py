"""Batches the hub applied, the records they carried, and the quarantine of refused ones."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def get_batch(db: Database, batch_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM batches WHERE id = ?", [batch_id]))
    return rows[0] if rows else None


def device_of(db: Database, batch_id: str) -> str | None:
    """The device whose batch this is, once applied; None before."""
    row = db.execute("SELECT device FROM batches WHERE id = ?", [batch_id]).fetchone()
    return row[0] if row else None


def save_batch(db: Database, **row: Any) -> None:
    for column in ("frame", "feed_after", "feed_cursor"):
        row.setdefault(column, None)
    db.execute(
        "INSERT INTO batches (id, device, seq, digest, sent_at, received_at, skew_ms, records,"
        " accepted, rejected, ack, frame, feed_after, feed_cursor) VALUES (:id, :device, :seq,"
        " :digest, :sent_at, :received_at, :skew_ms, :records, :accepted, :rejected, :ack,"
        " :frame, :feed_after, :feed_cursor)",
        row,
    )


def record_digest(db: Database, record_id: str) -> str | None:
    rows = list(db.query("SELECT digest FROM records WHERE id = ?", [record_id]))
    return rows[0]["digest"] if rows else None


def record_digests(db: Database, ids: list[str]) -> dict[str, str]:
    """Digests of the records the hub already holds among ``ids`` (one query)."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    return {
        r[0]: r[1] for r in db.execute(f"SELECT id, digest FROM records WHERE id IN ({marks})", ids)
    }


# A row of ``records``: see save_records.
RecordRow = tuple[str, str, str, str, str, str, int, int]


def save_records(db: Database, rows: list[RecordRow]) -> None:
    """Rows of (id, kind, device, batch, digest, body, received_at, idx); body '' when it is
    slot idx of the batch's stored frame."""
    db.conn.executemany(
        "INSERT INTO records (id, kind, device, batch, digest, body, received_at, idx)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def get_record(db: Database, record_id: str) -> dict[str, Any] | None:
    """An applied record with its batch's frame (``frame``, None if the batch kept none)."""
    rows = list(
        db.query(
            "SELECT records.*, batches.frame AS frame FROM records"
            " LEFT JOIN batches ON batches.id = records.batch WHERE records.id = ?",
            [record_id],
        )
    )
    return rows[0] if rows else None


def quarantine(
    db: Database,
    *,
    record_id: str | None,
    kind: str | None,
    outcome: str,
    device: str,
    outlet: str,
    batch: str,
    idx: int,
    reasons: list[dict[str, Any]],
    body: str,
    now: int,
) -> None:
    db.execute(
        "INSERT INTO quarantine (record_id, kind, outcome, device, outlet, batch, idx, reasons,"
        " body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [record_id, kind, outcome, device, outlet, batch, idx, _json(reasons), body, now],
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def list_quarantine(
    db: Database, outlet: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    where, args = ("WHERE outlet = ?", [outlet]) if outlet else ("", [])
    return list(
        db.query(
            f"SELECT * FROM quarantine {where} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        )
    )
