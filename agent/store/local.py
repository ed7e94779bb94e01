"""Applications as the outlet sees them, their timeline, items needing attention, scans,
and the catalogue."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def _rows(db: Database, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
    return list(db.query(sql, args or []))


def add_application(db: Database, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    db.execute(f"INSERT INTO applications ({columns}) VALUES ({marks})", row)


def get_application(db: Database, app_id: str) -> dict[str, Any] | None:
    rows = _rows(db, "SELECT * FROM applications WHERE id = ?", [app_id])
    return rows[0] if rows else None


def find_application(db: Database, key: str) -> dict[str, Any] | None:
    """By id, receipt number, or a unique id prefix (what a clerk types)."""
    rows = _rows(db, "SELECT * FROM applications WHERE id = ? OR receipt = ?", [key, key.upper()])
    if rows:
        return rows[0]
    if len(key) >= 8:
        rows = _rows(db, "SELECT * FROM applications WHERE id LIKE ? LIMIT 2", [key + "%"])
        if len(rows) == 1:
            return rows[0]
    return None


_UPDATABLE = {
    "sync_state",
    "hub_status",
    "hub_version",
    "unit",
    "due_date",
    "due_provisional",
    "tracking",
    "last_mail_event",
    "materials",
    "promised",
    "updated_at",
}


def update_application(db: Database, app_id: str, **fields: Any) -> None:
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    db.execute(f"UPDATE applications SET {sets} WHERE id = :_id", {**fields, "_id": app_id})


def mark_sent(db: Database, app_ids: list[str], *, now: int, state: bool = True) -> None:
    """Applications the hub acknowledged: state 'sent' and a line in their timeline.

    ``state=False``: the line only; the caller sets the state (see set_sent).
    """
    if state:
        set_sent(db, app_ids, now=now)
    db.conn.executemany(
        "INSERT INTO timeline (application, at, source, event, detail)"
        " VALUES (?, ?, 'local', 'accepted by hub', '')",
        [(i, now) for i in app_ids],
    )


def set_sent(db: Database, app_ids: list[str], *, now: int) -> None:
    """State 'sent' for applications still 'queued'."""
    db.conn.executemany(
        "UPDATE applications SET sync_state = 'sent', updated_at = ? WHERE id = ?"
        " AND sync_state = 'queued'",
        [(now, i) for i in app_ids],
    )


def hub_versions_of(db: Database, app_ids: list[str]) -> dict[str, int | None]:
    """Local applications among ``app_ids`` with the hub version each has (one query)."""
    if not app_ids:
        return {}
    marks = ", ".join("?" * len(app_ids))
    rows = db.execute(f"SELECT id, hub_version FROM applications WHERE id IN ({marks})", app_ids)
    return {row[0]: row[1] for row in rows}


def open_attention_apps(db: Database, kind: str) -> set[str]:
    """Applications with an open attention item of this kind (supplement, returned)."""
    rows = db.execute(
        "SELECT application FROM attention WHERE kind = ? AND resolved_at IS NULL", [kind]
    )
    return {row[0] for row in rows}


def latest_mail_at(db: Database, app_id: str) -> int | None:
    """When the latest mail event known for an application happened (events come in any
    order)."""
    row = db.execute(
        "SELECT MAX(at) FROM timeline WHERE application = ? AND event LIKE 'mail %'", [app_id]
    ).fetchone()
    return row[0] if row else None


def apply_statuses(
    db: Database, updates: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]
) -> None:
    """Bulk status updates (status, version, unit, due, provisional, now, id) and timeline
    lines (application, at, source, event, detail)."""
    db.conn.executemany(
        "UPDATE applications SET hub_status = ?, hub_version = ?, unit = ?, due_date = ?,"
        " due_provisional = ?, sync_state = 'sent', updated_at = ? WHERE id = ?",
        updates,
    )
    db.conn.executemany(
        "INSERT INTO timeline (application, at, source, event, detail) VALUES (?, ?, ?, ?, ?)",
        lines,
    )


def list_applications(
    db: Database,
    *,
    sync_state: str | None = None,
    hub_status: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    clauses, args = [], []
    if sync_state:
        clauses.append("sync_state = ?")
        args.append(sync_state)
    if hub_status:
        clauses.append("hub_status = ?")
        args.append(hub_status)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return _rows(
        db, f"SELECT * FROM applications {where} ORDER BY captured_at DESC LIMIT ?", [*args, limit]
    )


def versions(db: Database) -> list[tuple[str, int]]:
    """(id, hub version) of every application the hub has told this outlet about."""
    return [(r[0], r[1]) for r in db.execute("SELECT application, version FROM hub_versions")]


_NOTE_VERSION = (
    "INSERT INTO hub_versions (application, version) VALUES (?, ?) ON CONFLICT (application)"
    " DO UPDATE SET version = MAX(version, excluded.version)"
)


def note_version(db: Database, application: str, version: int) -> None:
    db.execute(_NOTE_VERSION, [application, version])


def note_versions(db: Database, pairs: list[tuple[str, int]]) -> None:
    """Many (application, version) pairs at once, in order."""
    db.conn.executemany(_NOTE_VERSION, pairs)


def clear_hub_view(db: Database) -> None:
    """Forget what the hub said (before a full resync); local records stay."""
    db.execute(
        "UPDATE applications SET hub_status = NULL, hub_version = NULL, unit = NULL,"
        " due_date = NULL, due_provisional = 0, tracking = NULL, last_mail_event = NULL"
    )
    db.execute("DELETE FROM timeline WHERE source = 'hub'")
    db.execute("DELETE FROM hub_versions")


def add_timeline(
    db: Database, *, application: str, at: int, source: str, event: str, detail: str = ""
) -> None:
    db.execute(
        "INSERT INTO timeline (application, at, source, event, detail) VALUES (?, ?, ?, ?, ?)",
        [application, at, source, event, detail],
    )


def timeline(db: Database, app_id: str) -> list[dict[str, Any]]:
    return _rows(
        db,
        "SELECT at, source, event, detail FROM timeline WHERE application = ? ORDER BY at, id",
        [app_id],
    )


def add_attention(
    db: Database,
    *,
    application: str | None,
    record_id: str | None,
    kind: str,
    reasons: list[dict[str, Any]],
    body: bytes | None,
    now: int,
) -> None:
    db.execute(
        "INSERT INTO attention (application, record_id, kind, reasons, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [application, record_id, kind, json.dumps(reasons, ensure_ascii=False), body, now],
    )


def open_attention(db: Database) -> list[dict[str, Any]]:
    rows = _rows(
        db,
        "SELECT id, application, record_id, kind, reasons, created_at FROM attention"
        " WHERE resolved_at IS NULL ORDER BY id",
    )
    for row in rows:
        row["reasons"] = json.loads(row["reasons"])
    return rows


def resolve_attention(db: Database, *, application: str, kind: str, now: int) -> None:
    db.execute(
        "UPDATE attention SET resolved_at = ? WHERE application = ? AND kind = ?"
        " AND resolved_at IS NULL",
        [now, application, kind],
    )


def add_scan(db: Database, *, sha256: str, size: int, media_type: str, now: int) -> None:
    db.execute(
        "INSERT OR IGNORE INTO scans (sha256, size, media_type, created_at) VALUES (?, ?, ?, ?)",
        [sha256, size, media_type, now],
    )


def scans_to_upload(db: Database) -> list[dict[str, Any]]:
    return _rows(db, "SELECT * FROM scans WHERE uploaded = 0 ORDER BY created_at")


def scan_uploaded(db: Database, sha256: str) -> None:
    db.execute("UPDATE scans SET uploaded = 1 WHERE sha256 = ?", [sha256])


def save_catalogue(db: Database, *, version: int, body: str, now: int) -> None:
    db.execute(
        "INSERT OR REPLACE INTO catalogue (version, body, received_at) VALUES (?, ?, ?)",
        [version, body, now],
    )


def catalogue(db: Database) -> dict[str, Any] | None:
    rows = _rows(db, "SELECT * FROM catalogue ORDER BY version DESC LIMIT 1")
    return rows[0] if rows else None
