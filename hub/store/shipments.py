"""Carriers, and the shipments of results back to citizens with their tracking events."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def add_carrier(db: Database, *, code: str, name: str, secret: str, now: int) -> None:
    db.execute(
        "INSERT INTO carriers (code, name, secret, created_at) VALUES (?, ?, ?, ?)",
        [code, name, secret, now],
    )


def get_carrier(db: Database, code: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM carriers WHERE code = ?", [code]))
    return rows[0] if rows else None


def list_carriers(db: Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT code, name, created_at, disabled FROM carriers ORDER BY code"))


def set_carrier_secret(db: Database, code: str, secret: str) -> None:
    db.execute("UPDATE carriers SET secret = ? WHERE code = ?", [secret, code])


def add_shipment(db: Database, row: dict[str, Any]) -> None:
    db.table("shipments").insert(row)


def get_shipment(db: Database, shipment_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM shipments WHERE id = ?", [shipment_id]))
    return rows[0] if rows else None


def shipment_by_tracking(db: Database, carrier: str, tracking: str) -> dict[str, Any] | None:
    rows = list(
        db.query("SELECT * FROM shipments WHERE carrier = ? AND tracking = ?", [carrier, tracking])
    )
    return rows[0] if rows else None


def shipments_with_tracking(db: Database, tracking: str) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM shipments WHERE tracking = ?", [tracking]))


def current_shipment(db: Database, application: str) -> dict[str, Any] | None:
    """The application's shipment still under way (pending or open), if any."""
    rows = list(
        db.query(
            "SELECT * FROM shipments WHERE application = ? AND state IN ('pending','open')"
            " ORDER BY opened_at DESC LIMIT 1",
            [application],
        )
    )
    return rows[0] if rows else None


def application_shipments(db: Database, application: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT * FROM shipments WHERE application = ? ORDER BY opened_at, rowid",
            [application],
        )
    )


def update_shipment(db: Database, shipment_id: str, **fields: Any) -> None:
    db.table("shipments").update(shipment_id, fields)


def list_shipments(
    db: Database,
    *,
    state: str | None = None,
    stale: bool = False,
    unit: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if state:
        where.append("s.state = ?")
        params.append(state)
    if stale:
        where.append("s.stale_since IS NOT NULL")
    if unit:
        where.append("a.unit = ?")
        params.append(unit)
    return list(
        db.query(
            "SELECT s.*, a.receipt, a.outlet, a.unit, a.item FROM shipments s"
            " JOIN applications a ON a.id = s.application"
            f" WHERE {' AND '.join(where)} ORDER BY s.opened_at DESC LIMIT ?",
            [*params, limit],
        )
    )


def quiet_shipments(db: Database, *, before: int) -> list[dict[str, Any]]:
    """Open shipments with no event (or, if none yet, no posting) since ``before``."""
    return list(
        db.query(
            "SELECT * FROM shipments WHERE state = 'open' AND stale_since IS NULL"
            " AND COALESCE(last_event_at, posted_at, opened_at) < ?",
            [before],
        )
    )


def count_stale(db: Database) -> int:
    """Open shipments flagged as quiet."""
    rows = db.execute(
        "SELECT COUNT(*) FROM shipments WHERE state = 'open' AND stale_since IS NOT NULL"
    )
    return int(rows.fetchone()[0])


def add_shipment_event(db: Database, row: dict[str, Any]) -> None:
    db.table("shipment_events").insert(row)


def shipment_event(db: Database, carrier: str, event_id: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT * FROM shipment_events WHERE carrier = ? AND event_id = ?", [carrier, event_id]
        )
    )
    return rows[0] if rows else None


def shipment_events(db: Database, shipment_id: str) -> list[dict[str, Any]]:
    """Events in the order they happened, not the order they arrived."""
    return list(
        db.query(
            "SELECT kind, at, location, note, source, event_id, received_at"
            " FROM shipment_events WHERE shipment = ? ORDER BY at, id",
            [shipment_id],
        )
    )


def latest_event(db: Database, shipment_id: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT kind, at FROM shipment_events WHERE shipment = ? ORDER BY at DESC, id DESC"
            " LIMIT 1",
            [shipment_id],
        )
    )
    return rows[0] if rows else None


def carrier_shipment_states(db: Database, code: str) -> dict[str, int]:
    """How many of a carrier's shipments are in each state (pending, open, ...)."""
    return {
        r["state"]: r["n"]
        for r in db.query(
            "SELECT state, COUNT(*) AS n FROM shipments WHERE carrier = ? GROUP BY state", [code]
        )
    }


def set_carrier_disabled(db: Database, code: str, *, disabled: bool) -> None:
    db.execute("UPDATE carriers SET disabled = ? WHERE code = ?", [int(disabled), code])


def delete_carrier(db: Database, code: str) -> None:
    db.execute("DELETE FROM carriers WHERE code = ?", [code])
