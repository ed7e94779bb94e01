"""Outlets, devices, enrolment codes and signature nonces."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def add_outlet(db: Database, *, code: str, kind: str, name: str, region: str, now: int) -> None:
    db.execute(
        "INSERT INTO outlets (code, kind, name, region, created_at) VALUES (?, ?, ?, ?, ?)",
        [code, kind, name, region, now],
    )


def get_outlet(db: Database, code: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM outlets WHERE code = ?", [code]))
    return rows[0] if rows else None


def list_outlets(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM outlets ORDER BY code"))


def add_enrolment_code(
    db: Database, *, code_hash: str, outlet: str, now: int, expires_at: int
) -> None:
    db.execute(
        "INSERT INTO enrolment_codes (code_hash, outlet, created_at, expires_at) VALUES (?,?,?,?)",
        [code_hash, outlet, now, expires_at],
    )


def get_enrolment_code(db: Database, code_hash: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM enrolment_codes WHERE code_hash = ?", [code_hash]))
    return rows[0] if rows else None


def open_enrolment_codes(db: Database, *, now: int) -> list[dict[str, Any]]:
    """Codes neither used nor expired, soonest to expire first (only their hashes are kept)."""
    return list(
        db.query(
            "SELECT c.outlet, o.name AS outlet_name, c.created_at, c.expires_at"
            " FROM enrolment_codes c JOIN outlets o ON o.code = c.outlet"
            " WHERE c.used_at IS NULL AND c.expires_at > ? ORDER BY c.expires_at, c.outlet",
            [now],
        )
    )


def use_enrolment_code(db: Database, code_hash: str, *, device: str, now: int) -> bool:
    """Mark a code used; False if it was used meanwhile (two devices racing for one code)."""
    cursor = db.execute(
        "UPDATE enrolment_codes SET used_at = ?, device = ?"
        " WHERE code_hash = ? AND used_at IS NULL",
        [now, device, code_hash],
    )
    return cursor.rowcount == 1


def next_device_number(db: Database) -> int:
    row = next(db.query("SELECT COALESCE(MAX(number) + 1, 0) AS n FROM devices"))
    return int(row["n"])


def add_device(
    db: Database,
    *,
    device_id: str,
    outlet: str,
    number: int,
    tag: str,
    public_key: str,
    label: str,
    now: int,
    successor_of: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO devices (id, outlet, number, tag, public_key, label, enrolled_at,"
        " successor_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [device_id, outlet, number, tag, public_key, label, now, successor_of],
    )


def get_device(db: Database, device_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM devices WHERE id = ?", [device_id]))
    return rows[0] if rows else None


def get_device_by_tag(db: Database, tag: str) -> dict[str, Any] | None:
    """The device enrolled with this receipt tag (tags are unique), or None."""
    rows = list(db.query("SELECT * FROM devices WHERE tag = ?", [tag]))
    return rows[0] if rows else None


# How far back a device's chain of former identities is followed (each re-enrolment adds one).
MAX_SUCCESSION = 32


def former_tags(db: Database, device: dict[str, Any]) -> set[str]:
    """The tags of the devices ``device`` was enrolled to succeed, nearest first, at most
    MAX_SUCCESSION of them; a loop (which enrolment cannot make) ends the walk."""
    tags: set[str] = set()
    seen = {device["id"]}
    previous = device.get("successor_of")
    while previous and previous not in seen and len(seen) <= MAX_SUCCESSION:
        seen.add(previous)
        former = get_device(db, previous)
        if former is None:
            break
        tags.add(former["tag"])
        previous = former.get("successor_of")
    return tags


def list_devices(db: Database, outlet: str | None = None) -> list[dict[str, Any]]:
    if outlet:
        return list(db.query("SELECT * FROM devices WHERE outlet = ? ORDER BY id", [outlet]))
    return list(db.query("SELECT * FROM devices ORDER BY outlet, id"))


def revoke_device(db: Database, device_id: str, *, reason: str, now: int) -> bool:
    cursor = db.execute(
        "UPDATE devices SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
        [now, reason, device_id],
    )
    return cursor.rowcount == 1


def remember_nonce(db: Database, *, key_id: str, nonce: str, created: int) -> bool:
    """Store a signature nonce; False if this key already used it (a replay)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO nonces (key_id, nonce, created) VALUES (?, ?, ?)",
        [key_id, nonce, created],
    )
    return cursor.rowcount == 1


def forget_nonces(db: Database, *, older_than: int) -> int:
    return db.execute("DELETE FROM nonces WHERE created < ?", [older_than]).rowcount


HEARTBEAT_FIELDS = ("agent_version", "unsent", "quarantined", "last_pull_at")


def seen(db: Database, device_id: str, *, now: int, heartbeat: dict[str, Any]) -> None:
    """Record that a device was heard from, with the backlog it reported."""
    fields = {k: v for k, v in heartbeat.items() if v is not None and k in HEARTBEAT_FIELDS}
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(
        f"UPDATE devices SET last_seen_at = ?{', ' + sets if sets else ''} WHERE id = ?",
        [now, *fields.values(), device_id],
    )


def batch_received(
    db: Database, device_id: str, *, now: int, seq: int, skew_ms: int, records: int
) -> None:
    db.execute(
        "UPDATE devices SET last_batch_at = ?, last_seq = MAX(last_seq, ?), skew_ms = ?,"
        " batches = batches + 1, records = records + ? WHERE id = ?",
        [now, seq, skew_ms, records, device_id],
    )
