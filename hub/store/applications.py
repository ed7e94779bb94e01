"""Applications, their timeline, time-limit pauses, and the per-outlet pull feed."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sqlite_utils import Database

from sync import paging

_UPDATABLE = {
    "unit",
    "completed_at",
    "status",
    "version",
    "materials",
    "promised",
    "missing_scans",
    "note",
    "applicant_id_type",
    "applicant_record",
    "applicant_sealed",
    "applicant_masked",
    "delivery",
    "address_record",
    "address_sealed",
    "address_masked",
    "accepted_on",
    "limit_days",
    "due_date",
    "due_provisional",
    "sla_state",
    "updated_at",
}


class NewApplication(NamedTuple):
    """A new application's row, as ingest builds it (its fields are the table's columns)."""

    id: str
    receipt: str
    outlet: str
    device: str
    staff: str
    item: str
    region: str
    unit: str | None
    status: str
    version: int
    captured_at: int
    captured_at_hub: int
    clock_flagged: int
    received_at: int
    delivery: str
    applicant_id_type: str
    applicant_record: str
    applicant_sealed: str
    applicant_masked: str
    address_record: str | None
    address_sealed: str | None
    address_masked: str | None
    materials: str
    promised: str
    missing_scans: int
    note: str
    accepted_on: str | None
    limit_days: int | None
    due_date: str | None
    due_provisional: int
    sla_state: str | None
    updated_at: int


class EventRow(NamedTuple):
    """A timeline row; ``data`` is JSON (a capture's row carries the routing that followed)."""

    application: str
    at: int
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str
    data: str | None


class FeedRow(NamedTuple):
    """A downlink record for an outlet's feed (``'*'``: every outlet)."""

    outlet: str
    kind: str
    application: str | None
    body: str
    created_at: int


class ScanRow(NamedTuple):
    """A scan an application references, and whether the hub holds it yet."""

    application: str
    sha256: str
    material: str
    present: int


APPLICATION_COLUMNS = NewApplication._fields
_INSERT_APPLICATION = (
    f"INSERT INTO applications ({', '.join(APPLICATION_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(APPLICATION_COLUMNS))})"
)


def insert_applications(db: Database, rows: list[NewApplication]) -> None:
    """Insert many new applications."""
    if rows:
        db.conn.executemany(_INSERT_APPLICATION, rows)


def taken_receipts(db: Database, receipts: list[str]) -> set[str]:
    """Which of these receipt numbers the hub already holds (one query)."""
    if not receipts:
        return set()
    marks = ", ".join("?" * len(receipts))
    rows = db.execute(f"SELECT receipt FROM applications WHERE receipt IN ({marks})", receipts)
    return {r[0] for r in rows}


def existing_ids(db: Database, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    marks = ", ".join("?" * len(ids))
    return {r[0] for r in db.execute(f"SELECT id FROM applications WHERE id IN ({marks})", ids)}


def add_events_many(db: Database, rows: list[EventRow]) -> None:
    db.conn.executemany(
        "INSERT INTO events (application, at, actor, action, from_status, to_status, note, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def feed_extend(db: Database, rows: list[FeedRow]) -> None:
    """In feed order."""
    db.conn.executemany(
        "INSERT INTO feed (outlet, kind, application, body, created_at) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def add_scans_rows(db: Database, rows: list[ScanRow]) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO scans (application, sha256, material, present) VALUES (?, ?, ?, ?)",
        rows,
    )


def get_application(db: Database, app_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM applications WHERE id = ?", [app_id]))
    return rows[0] if rows else None


def find_application(db: Database, key: str) -> dict[str, Any] | None:
    """By id or by receipt number (what a clerk reads off the citizen's slip)."""
    rows = list(db.query("SELECT * FROM applications WHERE id = ? OR receipt = ?", [key, key]))
    return rows[0] if rows else None


def update_application(db: Database, app_id: str, **fields: Any) -> None:
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    db.execute(f"UPDATE applications SET {sets} WHERE id = :_id", {**fields, "_id": app_id})


def add_event(
    db: Database,
    *,
    application: str,
    at: int,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """Add a step to the application's timeline; its event id."""
    cursor = db.execute(
        "INSERT INTO events (application, at, actor, action, from_status, to_status, note, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            application,
            at,
            actor,
            action,
            from_status,
            to_status,
            note,
            json.dumps(data, ensure_ascii=False) if data else None,
        ],
    )
    return int(cursor.lastrowid or 0)


# A capture row may carry the step that followed it at once (ingest routes every new
# application as it stores it): data = {"then": {at, actor, action, from_status, to_status,
# note}}. One row instead of two for every application; events() gives back both.
_THEN = '{"then":'


def then_data(
    *, at: int, actor: str, action: str, from_status: str, to_status: str, note: str
) -> str:
    """The ``data`` of a capture row that carries the step that followed it."""
    step = {
        "at": at,
        "actor": actor,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
    }
    return json.dumps({"then": step}, ensure_ascii=False, separators=(",", ":"))


def events(db: Database, app_id: str) -> list[dict[str, Any]]:
    """The application's timeline, oldest first, one dict per event."""
    out = []
    for row in db.query("SELECT * FROM events WHERE application = ? ORDER BY id", [app_id]):
        data = row["data"]
        if row["action"] == "capture" and data and data.startswith(_THEN):
            out.append({**row, "data": None})
            out.append({**row, **json.loads(data)["then"], "data": None})
        else:
            out.append(row)
    return out


def open_pause(db: Database, app_id: str, *, opened_by: int, started_on: str) -> None:
    """Stop the clock from ``started_on``, for the timeline event ``opened_by`` (the officer's
    request_supplement). Each event opens one pause: the same event again opens none, and any
    number of pauses may start on one day. A second pause while one is open is refused (an
    integrity error), never dropped."""
    # Not ON CONFLICT (opened_by) DO NOTHING: with the event's pause still open, the one-open-
    # pause index would fail first. Not INSERT OR IGNORE: that drops any pause that conflicts.
    db.execute(
        "INSERT INTO sla_pauses (application, opened_by, started_on) SELECT ?, ?, ?"
        " WHERE NOT EXISTS (SELECT 1 FROM sla_pauses WHERE opened_by = ?)",
        [app_id, opened_by, started_on, opened_by],
    )


def close_pause(db: Database, app_id: str, ended_on: str) -> None:
    db.execute(
        "UPDATE sla_pauses SET ended_on = ? WHERE application = ? AND ended_on IS NULL",
        [ended_on, app_id],
    )


def pauses(db: Database, app_id: str) -> list[tuple[str, str | None]]:
    """The application's pauses as (started_on, ended_on), in the order they were opened."""
    return [
        (r["started_on"], r["ended_on"])
        for r in db.query(
            "SELECT started_on, ended_on FROM sla_pauses WHERE application = ?"
            " ORDER BY started_on, id",
            [app_id],
        )
    ]


# --- lists: filters, search and keyset pages ------------------------------------------------

# The masked copies a list is searched by, as the indexes of migration m007 have them (the
# same expressions, or SQLite does not use the index). Nothing is decrypted to search.
_NAME = "json_extract(applicant_masked, '$.name')"
_SURNAME = "substr(json_extract(applicant_masked, '$.name'), 1, 1)"
_PHONE = "json_extract(applicant_masked, '$.phone')"
_PHONE_TAIL = "substr(json_extract(applicant_masked, '$.phone'), -4)"
_COUNTER = "substr(receipt, 6)"  # the receipt after its tag: "000042-M"
_TOP = "\U0010ffff"  # above every character: the end of a prefix range


def _term_sql(term: paging.Term) -> tuple[str, list[Any]]:
    """The condition a search term puts on an application (sync.paging's kinds)."""
    value = term.value
    if term.kind == "receipt":
        return "receipt = ?", [value]
    if term.kind == "receipt_prefix":
        return "receipt >= ? AND receipt < ?", [value, value + _TOP]
    if term.kind == "receipt_counter":
        return f"{_COUNTER} >= ? AND {_COUNTER} < ?", [value, value + _TOP]
    if term.kind == "phone_tail":
        return f"{_PHONE_TAIL} = ?", [value]
    if term.kind == "phone":
        return f"{_PHONE_TAIL} = ? AND {_PHONE} = ?", [term.tail, value]
    if term.kind == "surname":
        return f"{_SURNAME} = ?", [value]
    return f"{_NAME} = ?", [value]


def _where(
    filters: dict[str, str | None], terms: list[paging.Term] | None = None
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in filters.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    for term in terms or ():
        sql, term_args = _term_sql(term)
        clauses.append(sql)
        args.extend(term_args)
    return clauses, args


def _sql_where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def queue(
    db: Database,
    *,
    unit: str | None = None,
    status: str | None = None,
    item: str | None = None,
    outlet: str | None = None,
    sla_state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of applications matching the filters, oldest first, and the total count.

    By position (for the callers that take the first few hundred rows); a list that is paged
    through uses :func:`application_page`, whose cost does not grow with the page number."""
    filters = {"unit": unit, "status": status, "item": item, "outlet": outlet}
    clauses, args = _where({**filters, "sla_state": sla_state})
    where = _sql_where(clauses)
    total = db.execute(f"SELECT COUNT(*) FROM applications {where}", args).fetchone()[0]
    rows = list(
        db.query(
            f"SELECT * FROM applications {where} ORDER BY received_at, id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
    )
    return rows, int(total)


def application_page(
    db: Database,
    request: paging.PageRequest,
    *,
    unit: str | None = None,
    status: str | None = None,
    item: str | None = None,
    outlet: str | None = None,
    sla_state: str | None = None,
    newest_first: bool = False,
    offset: int | None = None,
) -> paging.Page[dict[str, Any]]:
    """One page of the hub's applications: the officer's and operator's queue, the triage
    list and ``GET /api/v1/applications``, by keyset on (received_at, id), oldest first
    (``newest_first``: the other way), never by OFFSET.

    Filters as :func:`queue` takes them (``unit``: the list of one department unit, what
    hub.casework.queue_unit gives for the user; ``status='triage'``: the triage list), and
    ``request.q``: receipt numbers (whole or their start, or the counter alone), masked name,
    phone tail (sync.paging). The page carries the total for the filters and search, the
    position of its first row, and the cursors of the next, previous and last pages.
    ``offset``: when ``request.cursor`` is None, read the page at that position (the API's
    ``page``/``per_page``; OFFSET, so its cost grows with the position). Raises
    sync.paging.BadCursor / BadSearch (400, field ``cursor`` / ``q``) for a cursor or search
    term that is not one.
    """
    terms = paging.parse_search(request.q)
    filters = {
        "unit": unit,
        "status": status,
        "item": item,
        "outlet": outlet,
        "sla_state": sla_state,
    }
    scope = paging.scope_of(
        list="hub.applications",
        newest_first=newest_first,
        q=" ".join(f"{t.kind}:{t.value}" for t in terms),
        **filters,
    )
    clauses, args = _where(filters, terms)

    def fetch(
        key: list[paging.Key] | None, row_id: str | None, back: bool, limit: int
    ) -> list[dict[str, Any]]:
        descending = newest_first != back
        where, more = list(clauses), list(args)
        if key is not None:
            where.append(f"(received_at, id) {'<' if descending else '>'} (?, ?)")
            more.extend([key[0], row_id])
        order = "DESC" if descending else "ASC"
        return list(
            db.query(
                f"SELECT * FROM applications {_sql_where(where)}"
                f" ORDER BY received_at {order}, id {order} LIMIT ?",
                [*more, limit],
            )
        )

    def fetch_offset(at: int, limit: int) -> list[dict[str, Any]]:
        order = "DESC" if newest_first else "ASC"
        return list(
            db.query(
                f"SELECT * FROM applications {_sql_where(clauses)}"
                f" ORDER BY received_at {order}, id {order} LIMIT ? OFFSET ?",
                [*args, limit, at],
            )
        )

    def count() -> int:
        sql = f"SELECT COUNT(*) FROM applications {_sql_where(clauses)}"
        return int(db.execute(sql, args).fetchone()[0])

    return paging.read_page(
        request,
        scope=scope,
        fetch=fetch,
        count=count,
        key_of=lambda row: [row["received_at"]],
        id_of=lambda row: str(row["id"]),
        offset=offset,
        fetch_offset=fetch_offset,
    )


def with_running_clock(db: Database) -> list[dict[str, Any]]:
    """Applications whose time limit is running or paused (for the SLA job)."""
    return list(
        db.query(
            "SELECT * FROM applications WHERE status IN ('accepted', 'supplement_requested')"
            " AND accepted_on IS NOT NULL"
        )
    )


def queue_counts(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT COALESCE(unit, '') AS unit, status, COUNT(*) AS count,"
            " SUM(sla_state = 'overdue') AS overdue, SUM(sla_state = 'due_soon') AS due_soon"
            " FROM applications GROUP BY unit, status ORDER BY unit, status"
        )
    )


def add_scans(db: Database, app_id: str, scans: list[tuple[str, str, bool]]) -> None:
    """Rows of (sha256, material, present)."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO scans (application, sha256, material, present) VALUES (?, ?, ?, ?)",
        [(app_id, sha, material, int(present)) for sha, material, present in scans],
    )


def scan_waited_for(db: Database, sha256: str) -> bool:
    """Whether an application still counts this scan as missing."""
    return bool(
        list(db.query("SELECT 1 FROM scans WHERE sha256 = ? AND present = 0 LIMIT 1", [sha256]))
    )


def scan_arrived(db: Database, sha256: str) -> list[str]:
    """Mark a scan present everywhere it is referenced; the applications it completed."""
    waiting = [
        r["application"]
        for r in db.query(
            "SELECT application FROM scans WHERE sha256 = ? AND present = 0", [sha256]
        )
    ]
    db.execute("UPDATE scans SET present = 1 WHERE sha256 = ?", [sha256])
    for app_id in waiting:
        db.execute(
            "UPDATE applications SET missing_scans = (SELECT COUNT(*) FROM scans"
            " WHERE application = ? AND present = 0) WHERE id = ?",
            [app_id, app_id],
        )
    return waiting


def missing_scans(db: Database, app_id: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT sha256, material FROM scans WHERE application = ? AND present = 0", [app_id]
        )
    )


def add_rating(db: Database, row: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO ratings (id, application, outlet, level, comment, staff, at, bad)"
        " VALUES (:id, :application, :outlet, :level, :comment, :staff, :at, :bad)",
        row,
    )


# --- feed ------------------------------------------------------------------------------------


def feed_append(
    db: Database, *, outlet: str, kind: str, application: str | None, body: str, now: int
) -> int:
    cursor = db.execute(
        "INSERT INTO feed (outlet, kind, application, body, created_at) VALUES (?, ?, ?, ?, ?)",
        [outlet, kind, application, body, now],
    )
    return int(cursor.lastrowid or 0)


def feed_position(db: Database, outlet: str) -> int:
    """The outlet's latest feed cursor (its own records and those for every outlet)."""
    row = db.execute(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM feed WHERE outlet = ?), 0),"
        " COALESCE((SELECT MAX(seq) FROM feed WHERE outlet = '*'), 0))",
        [outlet],
    ).fetchone()
    return int(row[0] or 0)


def feed_range(db: Database, *, outlet: str, after: int, upto: int) -> list[str]:
    """Bodies of the outlet's feed records after ``after`` up to ``upto``, in cursor order."""
    return [
        r[0]
        for r in db.execute(
            "SELECT body FROM feed WHERE seq > ? AND seq <= ? AND outlet IN (?, '*') ORDER BY seq",
            [after, upto, outlet],
        )
    ]


def feed_page(db: Database, *, outlet: str, after: int, limit: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT seq, body FROM feed WHERE seq > ? AND outlet IN (?, '*') ORDER BY seq LIMIT ?",
            [after, outlet, limit],
        )
    )


def outlet_versions(db: Database, outlet: str) -> list[tuple[str, int]]:
    rows = db.execute("SELECT id, version FROM applications WHERE outlet = ?", [outlet])
    return rows.fetchall()
