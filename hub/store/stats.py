"""SQL for the statistics: counts per (unit, outlet, item), which hub/stats.py rolls up.

Each query takes a half-open window [start, end) of Unix milliseconds and groups by the
application's unit, outlet and item, so every figure can be summed to any of the three.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

_KEYS = "a.unit AS unit, a.outlet AS outlet, a.item AS item"
_GROUP = "GROUP BY a.unit, a.outlet, a.item"


def received(db: Database, start: int, end: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"SELECT {_KEYS}, COUNT(*) AS received FROM applications a"
            f" WHERE a.received_at >= ? AND a.received_at < ? {_GROUP}",
            [start, end],
        )
    )


def completed(db: Database, start: int, end: int) -> list[dict[str, Any]]:
    """Decided in the window: on time unless completed after the due date (sla 'late')."""
    return list(
        db.query(
            f"SELECT {_KEYS}, COUNT(*) AS completed,"
            " SUM(CASE WHEN a.sla_state = 'late' THEN 0 ELSE 1 END) AS on_time,"
            " SUM(a.completed_at - a.captured_at_hub) AS completion_ms"
            " FROM applications a WHERE a.completed_at >= ? AND a.completed_at < ?"
            f" {_GROUP}",
            [start, end],
        )
    )


def overdue_now(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"SELECT {_KEYS}, COUNT(*) AS overdue_now FROM applications a"
            f" WHERE a.status = 'accepted' AND a.sla_state = 'overdue' {_GROUP}"
        )
    )


def mail(db: Database, start: int, end: int) -> list[dict[str, Any]]:
    """Shipments posted, delivered and returned in the window."""
    return list(
        db.query(
            f"SELECT {_KEYS},"
            " SUM(CASE WHEN s.posted_at >= :start AND s.posted_at < :end THEN 1 ELSE 0 END)"
            "   AS mailed,"
            " SUM(CASE WHEN s.state = 'delivered' AND s.closed_at >= :start"
            "   AND s.closed_at < :end THEN 1 ELSE 0 END) AS delivered,"
            " SUM(CASE WHEN s.state = 'returned' AND s.closed_at >= :start"
            "   AND s.closed_at < :end THEN 1 ELSE 0 END) AS returned"
            " FROM shipments s JOIN applications a ON a.id = s.application"
            " WHERE (s.posted_at >= :start AND s.posted_at < :end)"
            "    OR (s.closed_at >= :start AND s.closed_at < :end)"
            f" {_GROUP}",
            {"start": start, "end": end},
        )
    )


def ratings(db: Database, start: int, end: int, satisfied: tuple[str, ...]) -> list[dict]:
    """Ratings given in the window; excluded ones counted apart and nowhere else."""
    marks = ", ".join("?" for _ in satisfied)
    return list(
        db.query(
            f"SELECT {_KEYS},"
            " SUM(CASE WHEN r.excluded_reason IS NULL THEN 1 ELSE 0 END) AS ratings,"
            f" SUM(CASE WHEN r.excluded_reason IS NULL AND r.level IN ({marks}) THEN 1 ELSE 0"
            "   END) AS satisfied,"
            " SUM(CASE WHEN r.excluded_reason IS NULL AND r.bad = 1 THEN 1 ELSE 0 END) AS bad,"
            " SUM(CASE WHEN r.excluded_reason IS NOT NULL THEN 1 ELSE 0 END) AS excluded"
            " FROM ratings r JOIN applications a ON a.id = r.application"
            f" WHERE r.at >= ? AND r.at < ? {_GROUP}",
            [*satisfied, start, end],
        )
    )


def daily_received(db: Database, start: int, end: int, offset_ms: int) -> list[dict[str, Any]]:
    """Applications received and completed per local day (throughput)."""
    day = "(({col} + :offset) / 86400000)"
    return list(
        db.query(
            f"SELECT d, SUM(r) AS received, SUM(c) AS completed FROM ("
            f" SELECT {day.format(col='received_at')} AS d, 1 AS r, 0 AS c FROM applications"
            "  WHERE received_at >= :start AND received_at < :end"
            " UNION ALL"
            f" SELECT {day.format(col='completed_at')} AS d, 0, 1 FROM applications"
            "  WHERE completed_at >= :start AND completed_at < :end"
            ") GROUP BY d ORDER BY d",
            {"start": start, "end": end, "offset": offset_ms},
        )
    )


# --- the operator's dashboard (hub/dashboard.py) ----------------------------------------------


def received_between(db: Database, start: int, end: int) -> int:
    """Applications the hub received in [start, end)."""
    row = next(
        db.query(
            "SELECT COUNT(*) AS n FROM applications WHERE received_at >= ? AND received_at < ?",
            [start, end],
        )
    )
    return int(row["n"])


def sla_counts(db: Database) -> dict[str, int]:
    """How many applications are overdue and due soon now (the queue's time-limit filters)."""
    row = next(
        db.query(
            "SELECT COALESCE(SUM(sla_state = 'overdue'), 0) AS overdue,"
            " COALESCE(SUM(sla_state = 'due_soon'), 0) AS due_soon FROM applications"
            " WHERE sla_state IN ('overdue', 'due_soon')"
        )
    )
    return {"overdue": int(row["overdue"]), "due_soon": int(row["due_soon"])}


# When an application entered the state it is in: its latest timeline step into that state
# (a supplement brings it back to accepted, a department sends it back to triage), or its
# arrival at the hub if the timeline has none.
_SINCE = (
    "COALESCE((SELECT MAX(e.at) FROM events e WHERE e.application = a.id"
    " AND e.to_status = a.status), a.received_at)"
)


def oldest_waiting(db: Database, status: str) -> dict[str, Any] | None:
    """The application waiting longest in ``status`` (and since when), with how many are."""
    count = int(
        next(db.query("SELECT COUNT(*) AS n FROM applications WHERE status = ?", [status]))["n"]
    )
    if not count:
        return None
    row = next(
        db.query(
            "SELECT a.id, a.receipt, a.item, a.unit, a.outlet, o.name AS outlet_name,"
            f" a.received_at, a.due_date, a.sla_state, {_SINCE} AS since"
            " FROM applications a LEFT JOIN outlets o ON o.code = a.outlet"
            " WHERE a.status = ? ORDER BY since, a.id LIMIT 1",
            [status],
        )
    )
    return {**row, "count": count}


def device_sync(db: Database) -> list[dict[str, Any]]:
    """Every device not revoked, with its outlet's name and what it last reported."""
    return list(
        db.query(
            "SELECT d.id, d.outlet, o.name AS outlet_name, d.tag, d.label, d.last_seen_at,"
            " d.last_batch_at, d.unsent, d.quarantined, d.agent_version"
            " FROM devices d JOIN outlets o ON o.code = d.outlet"
            " WHERE d.revoked_at IS NULL ORDER BY o.name, d.outlet, d.id"
        )
    )
