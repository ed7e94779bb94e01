"""Applications as the outlet sees them, their timeline, items needing attention, scans,
and the catalogue."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from sync import paging


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
    "refusal",
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


def set_refusals(db: Database, refusals: list[tuple[str, str]]) -> None:
    """Bulk (note, id): the department's refusal as the hub told it (the note of the status
    change to rejected), kept after the application moves on. The first one stays: a later
    status record that still says rejected (a correction sent after the refusal) carries
    another note, not the department's reason."""
    db.conn.executemany(
        "UPDATE applications SET refusal = ? WHERE id = ? AND refusal IS NULL", refusals
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
        " due_date = NULL, due_provisional = 0, tracking = NULL, last_mail_event = NULL,"
        " refusal = NULL"
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


def get_attention(db: Database, attention_id: int) -> dict[str, Any] | None:
    """One attention row (open or not), its reasons decoded."""
    rows = _rows(
        db,
        "SELECT id, application, record_id, kind, reasons, created_at, resolved_at"
        " FROM attention WHERE id = ?",
        [attention_id],
    )
    for row in rows:
        row["reasons"] = json.loads(row["reasons"])
    return rows[0] if rows else None


def dismiss(
    db: Database,
    *,
    kind: str,
    application: str | None,
    attention_id: int | None,
    hub_version: int | None,
    staff: str,
    now: int,
) -> bool:
    """Mark an attention item as dealt with by ``staff``: an attention row (``attention_id``,
    resolved now), or an application's state that makes one (``dept_rejected``,
    ``returned``) at its ``hub_version``. False if it was dealt with already."""
    if attention_id is not None:
        done = db.execute(
            "UPDATE attention SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
            [now, attention_id],
        )
        if done.rowcount == 0:
            return False
    elif is_dismissed(db, application=application, kind=kind, hub_version=hub_version):
        return False
    db.execute(
        "INSERT INTO dismissed (application, kind, attention_id, hub_version, staff, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [application, kind, attention_id, hub_version, staff, now],
    )
    return True


def is_dismissed(
    db: Database, *, application: str | None, kind: str, hub_version: int | None
) -> bool:
    """Whether staff dealt with the item ``kind`` of an application at this hub version."""
    row = db.execute(
        "SELECT 1 FROM dismissed WHERE application = ? AND kind = ? AND hub_version IS ?",
        [application, kind, hub_version],
    ).fetchone()
    return row is not None


def add_recorded(
    db: Database,
    *,
    record_id: str,
    application: str,
    kind: str,
    staff: str,
    at: int,
    detail: str = "",
) -> None:
    """A hand-over or rating recorded here (with its outbox entry, in the same transaction)."""
    db.execute(
        "INSERT INTO recorded (record_id, application, kind, staff, at, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [record_id, application, kind, staff, at, detail],
    )


def recorded(db: Database, application: str, kind: str) -> dict[str, Any] | None:
    """The latest ``kind`` (``pickup.confirm``, ``rating.create``) recorded here for an
    application that still stands, with its ``state``: ``pending`` while its record waits in
    the outbox, ``sent`` once the hub acknowledged it. None if none was recorded, or the hub
    refused it (an attention row names the record)."""
    rows = _rows(
        db,
        "SELECT r.*, CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = r.record_id)"
        " THEN 'pending' ELSE 'sent' END AS state"
        " FROM recorded r WHERE r.application = ? AND r.kind = ?"
        " AND NOT EXISTS (SELECT 1 FROM attention t WHERE t.record_id = r.record_id)"
        " ORDER BY r.at DESC, r.rowid DESC LIMIT 1",
        [application, kind],
    )
    return rows[0] if rows else None


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


# --- lists: filters, search and keyset pages ------------------------------------------------

# The masked copies a list is searched by, as migration m004's indexes have them (the same
# expressions, or SQLite does not use the index); {t} is the table's name or alias.
_NAME = "json_extract({t}applicant_masked, '$.name')"
_SURNAME = "substr(json_extract({t}applicant_masked, '$.name'), 1, 1)"
_PHONE = "json_extract({t}applicant_masked, '$.phone')"
_PHONE_TAIL = "substr(json_extract({t}applicant_masked, '$.phone'), -4)"
_COUNTER = "substr({t}receipt, 6)"  # the receipt after its tag: "000042-M"
_TOP = "\U0010ffff"  # above every character: the end of a prefix range


def _term_sql(term: paging.Term, table: str = "") -> tuple[str, list[Any]]:
    """The condition a search term (sync.paging) puts on an application row."""
    t = f"{table}." if table else ""
    name, surname = _NAME.format(t=t), _SURNAME.format(t=t)
    tail, counter = _PHONE_TAIL.format(t=t), _COUNTER.format(t=t)
    value = term.value
    if term.kind == "receipt":
        return f"{t}receipt = ?", [value]
    if term.kind == "receipt_prefix":
        return f"{t}receipt >= ? AND {t}receipt < ?", [value, value + _TOP]
    if term.kind == "receipt_counter":
        return f"{counter} >= ? AND {counter} < ?", [value, value + _TOP]
    if term.kind == "phone_tail":
        return f"{tail} = ?", [value]
    if term.kind == "phone":
        return f"{tail} = ? AND {_PHONE.format(t=t)} = ?", [term.tail, value]
    if term.kind == "surname":
        return f"{surname} = ?", [value]
    return f"{name} = ?", [value]


def _search(terms: list[paging.Term], table: str = "") -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for term in terms:
        sql, more = _term_sql(term, table)
        clauses.append(sql)
        args.extend(more)
    return clauses, args


def _where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _q(terms: list[paging.Term]) -> str:
    return " ".join(f"{t.kind}:{t.value}" for t in terms)


def application_page(
    db: Database,
    request: paging.PageRequest,
    *,
    sync_state: str | None = None,
    hub_status: str | None = None,
    item: str | None = None,
    staff: str | None = None,
    since: int | None = None,
) -> paging.Page[dict[str, Any]]:
    """One page of the outlet's applications, newest first, by keyset on (captured_at, id):
    the pages' lists of applications call it.

    * ``/applications`` (agent/web/views.py ``applications``): ``sync_state``, ``hub_status``
      as the page's filters, ``request.q`` its search box (receipt number whole or in part,
      the counter alone, name or masked name, phone tail: sync.paging);
    * ``/`` (``today``): ``since`` the day's start in Unix ms; its "mine" count is the
      ``total`` of the same with ``staff`` (``limit=1``);
    * ``/pickup`` (``pickups``): ``hub_status='ready_for_pickup'`` (and its count on ``/``).

    Rows are the table's (``views.view`` reads them). The page carries the ``total`` for
    the filters and search and the cursors of the pages around it. Raises
    sync.paging.BadCursor / BadSearch (InvalidValue, ``field`` ``cursor`` / ``q``).
    """
    terms = paging.parse_search(request.q)
    filters = {"sync_state": sync_state, "hub_status": hub_status, "item": item, "staff": staff}
    scope = paging.scope_of(list="agent.applications", since=since, q=_q(terms), **filters)
    clauses, args = _search(terms)
    for column, value in filters.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    if since is not None:
        clauses.append("captured_at >= ?")
        args.append(since)

    def fetch(
        key: list[paging.Key] | None, row_id: str | None, back: bool, limit: int
    ) -> list[dict[str, Any]]:
        where, more = list(clauses), list(args)
        if key is not None:
            where.append(f"(captured_at, id) {'>' if back else '<'} (?, ?)")
            more.extend([key[0], row_id])
        order = "ASC" if back else "DESC"
        return _rows(
            db,
            f"SELECT * FROM applications {_where(where)}"
            f" ORDER BY captured_at {order}, id {order} LIMIT ?",
            [*more, limit],
        )

    def count() -> int:
        sql = f"SELECT COUNT(*) FROM applications {_where(clauses)}"
        return int(db.execute(sql, args).fetchone()[0])

    return paging.read_page(
        request,
        scope=scope,
        fetch=fetch,
        count=count,
        key_of=lambda row: [row["captured_at"]],
        id_of=lambda row: str(row["id"]),
    )


# What needs staff's attention, one row per item, from three places: open attention rows
# (refused records, supplements asked for, mail returned), applications the department
# rejected, and returned mail no open attention row covers yet; neither of the last two once
# staff dealt with it at the application's hub version (``dismiss``).
_ATTENTION_ITEMS = """
    SELECT 'attention' AS source, t.kind AS kind, t.created_at AS at,
           'a' || printf('%012d', t.id) AS key, t.id AS attention_id, t.record_id AS record_id,
           t.reasons AS reasons, COALESCE(t.application, t.record_id) AS app_id
    FROM attention t WHERE t.resolved_at IS NULL
    UNION ALL
    SELECT 'dept_rejected', 'dept_rejected', a.updated_at, 'r' || a.id, NULL, a.id, '[]', a.id
    FROM applications a WHERE a.hub_status = 'rejected' AND NOT EXISTS (
        SELECT 1 FROM dismissed d WHERE d.application = a.id AND d.kind = 'dept_rejected'
        AND d.hub_version IS a.hub_version
    )
    UNION ALL
    SELECT 'returned', 'returned', a.updated_at, 'm' || a.id, NULL, a.id, '[]', a.id
    FROM applications a WHERE a.hub_status = 'returned' AND NOT EXISTS (
        SELECT 1 FROM attention t WHERE t.kind = 'returned' AND t.resolved_at IS NULL
        AND COALESCE(t.application, t.record_id) = a.id
    ) AND NOT EXISTS (
        SELECT 1 FROM dismissed d WHERE d.application = a.id AND d.kind = 'returned'
        AND d.hub_version IS a.hub_version
    )
"""


def attention_page(db: Database, request: paging.PageRequest) -> paging.Page[dict[str, Any]]:
    """One page of what needs staff's attention (the ``/attention`` page, agent/web/views.py
    ``attention``; its ``total`` is the status bar's count), oldest first, by keyset on
    (at, key); ``request.q`` searches the applications the items are about.

    Each row: ``source`` (``attention``, ``dept_rejected``, ``returned``), ``kind`` (the
    attention row's: rejected, conflict, supplement, returned; else ``dept_rejected`` or
    ``returned``), ``at``, ``key`` (unique), ``attention_id`` (None but for ``attention``),
    ``record_id``, ``reasons`` (the attention row's list of {message, materials?}; empty for
    the others: a department's refusal is in the application's timeline or ``refusal``), and
    ``app``: the application's row, or None if the outlet does not hold it.
    """
    terms = paging.parse_search(request.q)
    scope = paging.scope_of(list="agent.attention", q=_q(terms))
    clauses, args = _search(terms, "app")
    source = f"({_ATTENTION_ITEMS}) AS items LEFT JOIN applications app ON app.id = items.app_id"

    def fetch(
        key: list[paging.Key] | None, row_id: str | None, back: bool, limit: int
    ) -> list[dict[str, Any]]:
        where, more = list(clauses), list(args)
        if key is not None:
            where.append(f"(items.at, items.key) {'<' if back else '>'} (?, ?)")
            more.extend([key[0], row_id])
        order = "DESC" if back else "ASC"
        return _rows(
            db,
            f"SELECT items.* FROM {source} {_where(where)}"
            f" ORDER BY items.at {order}, items.key {order} LIMIT ?",
            [*more, limit],
        )

    def count() -> int:
        sql = f"SELECT COUNT(*) FROM {source} {_where(clauses)}"
        return int(db.execute(sql, args).fetchone()[0])

    page = paging.read_page(
        request,
        scope=scope,
        fetch=fetch,
        count=count,
        key_of=lambda row: [row["at"]],
        id_of=lambda row: str(row["key"]),
    )
    ids = sorted({row["app_id"] for row in page.rows if row["app_id"]})
    apps = {}
    if ids:
        marks = ", ".join("?" * len(ids))
        apps = {
            a["id"]: a for a in _rows(db, f"SELECT * FROM applications WHERE id IN ({marks})", ids)
        }
    for row in page.rows:
        row["reasons"] = json.loads(row["reasons"] or "[]")
        row["app"] = apps.get(row.pop("app_id"))
    return page
