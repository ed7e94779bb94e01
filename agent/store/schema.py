"""Schema migrations of the agent database (applied on every start; never drop data)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("daiban-agent")


def _run(db: Database, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- What the outlet knows of each application: masked copies only, never clear data.
        CREATE TABLE applications (
            id TEXT PRIMARY KEY,
            receipt TEXT NOT NULL UNIQUE,
            item TEXT NOT NULL,
            item_name TEXT NOT NULL,
            staff TEXT NOT NULL,
            region TEXT NOT NULL,
            captured_at INTEGER NOT NULL,
            applicant_masked TEXT NOT NULL,
            delivery TEXT NOT NULL,
            address_masked TEXT,
            materials TEXT NOT NULL,
            promised TEXT NOT NULL,
            sync_state TEXT NOT NULL,      -- queued, sent, rejected, conflict
            hub_status TEXT,               -- the latest state known from the hub
            hub_version INTEGER,
            unit TEXT,
            due_date TEXT,
            due_provisional INTEGER NOT NULL DEFAULT 0,
            tracking TEXT,
            last_mail_event TEXT,
            updated_at INTEGER NOT NULL
        );

        -- Records waiting for the hub's acknowledgement, oldest first. A record is frozen
        -- once written here: later changes are new amendment records.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            application TEXT,
            body BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );

        -- A batch sent but not yet acknowledged: re-sent byte for byte after a lost answer.
        CREATE TABLE inflight (
            batch TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            frame BLOB NOT NULL,
            records TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );

        -- Records the hub refused: kept with its reasons until staff resolve them.
        CREATE TABLE attention (
            id INTEGER PRIMARY KEY,
            application TEXT,
            record_id TEXT,
            kind TEXT NOT NULL,            -- rejected, conflict, supplement, returned
            reasons TEXT NOT NULL,
            body BLOB,
            created_at INTEGER NOT NULL,
            resolved_at INTEGER
        );
        CREATE INDEX attention_open ON attention(resolved_at);

        CREATE TABLE timeline (
            id INTEGER PRIMARY KEY,
            application TEXT NOT NULL,
            at INTEGER NOT NULL,
            source TEXT NOT NULL,          -- local or hub
            event TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX timeline_application ON timeline(application, id);

        -- The hub version of every application of this outlet the feed has mentioned (also
        -- those captured on another device of the outlet): the state digest is made from it.
        CREATE TABLE hub_versions (
            application TEXT PRIMARY KEY,
            version INTEGER NOT NULL
        );

        CREATE TABLE scans (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            uploaded INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        );

        CREATE TABLE catalogue (
            version INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            received_at INTEGER NOT NULL
        );

        CREATE TABLE sync_log (
            id INTEGER PRIMARY KEY,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            outcome TEXT NOT NULL,
            pushed INTEGER NOT NULL DEFAULT 0,
            pulled INTEGER NOT NULL DEFAULT 0,
            uploaded INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT ''
        )
        """,
    )


@migrations()
def m002_staff(db: Database) -> None:
    _run(
        db,
        """
        -- Clerks and runners who sign in to the pages. The PIN is kept only as a scrypt hash;
        -- failures and the lock make guessing a PIN slow.
        CREATE TABLE staff (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,            -- clerk or runner
            pin_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            disabled_at INTEGER,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until INTEGER,
            last_sign_in_at INTEGER
        )
        """,
    )


@migrations()
def m003_refusal(db: Database) -> None:
    _run(
        db,
        """
        -- The department's refusal (不予受理 / 不予办理) as the hub told it: the note of the
        -- status change to rejected, its reason's words first (sync/refusals.py). Kept after
        -- the application moves on (a written refusal issued, handed over) so staff can still
        -- tell the citizen why.
        ALTER TABLE applications ADD COLUMN refusal TEXT
        """,
    )


@migrations()
def m004_list_indexes(db: Database) -> None:
    """Indexes for the lists' keyset pages and search (agent/store/local.py,
    ``application_page``): each filter, then (captured_at, id), so that a page is an index
    range whatever its depth; and the masked copies searched by (the receipt's counter, the
    masked name and its one clear character, the phone's last four digits), as expressions the
    queries repeat word for word."""
    _run(
        db,
        """
        CREATE INDEX applications_captured ON applications(captured_at, id);
        CREATE INDEX applications_sync_captured ON applications(sync_state, captured_at, id);
        CREATE INDEX applications_hub_status_captured
            ON applications(hub_status, captured_at, id);
        CREATE INDEX applications_item_captured ON applications(item, captured_at, id);
        CREATE INDEX applications_counter ON applications(substr(receipt, 6));
        CREATE INDEX applications_surname ON applications(
            substr(json_extract(applicant_masked, '$.name'), 1, 1), captured_at, id
        );
        CREATE INDEX applications_masked_name ON applications(
            json_extract(applicant_masked, '$.name'), captured_at, id
        );
        CREATE INDEX applications_phone_tail ON applications(
            substr(json_extract(applicant_masked, '$.phone'), -4), captured_at, id
        )
        """,
    )


@migrations()
def m005_recorded_and_dismissed(db: Database) -> None:
    """What the counter recorded about an application and the hub must not be told twice (a
    hand-over, a rating: agent/capture.py refuses a second), and the attention items staff
    marked as dealt with (agent/store/local.py ``dismiss``)."""
    _run(
        db,
        """
        -- A hand-over or rating recorded at this outlet, kept after the outbox forgets it.
        -- It waits while its record is in the outbox, stands once the hub acknowledged it, and
        -- no longer counts if the hub refused it (an attention row names the record).
        CREATE TABLE recorded (
            record_id TEXT PRIMARY KEY,
            application TEXT NOT NULL,
            kind TEXT NOT NULL,            -- pickup.confirm or rating.create
            staff TEXT NOT NULL,
            at INTEGER NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX recorded_application ON recorded(application, kind, at);
        -- Those still waiting to be sent when this migration runs.
        INSERT INTO recorded (record_id, application, kind, staff, at, detail)
            SELECT record_id, application, kind,
                   COALESCE(json_extract(CAST(body AS TEXT), '$.staff'), ''), created_at,
                   COALESCE(json_extract(CAST(body AS TEXT), '$.level'),
                            json_extract(CAST(body AS TEXT), '$.collector'), '')
            FROM outbox
            WHERE kind IN ('pickup.confirm', 'rating.create') AND application IS NOT NULL;
        -- And those already sent: the outlet's timeline says so (legacy: ids of their own,
        -- as their records are gone; the first of each application and kind).
        INSERT INTO recorded (record_id, application, kind, staff, at, detail)
            SELECT 'legacy:' || t.application || ':' || t.kind, t.application, t.kind, '',
                   MIN(t.at), ''
            FROM (SELECT application, at,
                         CASE event WHEN 'picked up' THEN 'pickup.confirm'
                                    ELSE 'rating.create' END AS kind
                  FROM timeline WHERE source = 'local' AND event IN ('picked up', 'rated')) AS t
            WHERE NOT EXISTS (SELECT 1 FROM recorded r
                              WHERE r.application = t.application AND r.kind = t.kind)
            GROUP BY t.application, t.kind;

        -- An attention item staff marked as dealt with, by whom and when: an attention row
        -- (attention_id; its resolved_at is set too), or an application the department
        -- rejected or whose mail came back, at the hub version it had then (a later change
        -- that brings it back to the list is a new item).
        CREATE TABLE dismissed (
            id INTEGER PRIMARY KEY,
            application TEXT,
            kind TEXT NOT NULL,            -- rejected, conflict, returned, dept_rejected
            attention_id INTEGER,
            hub_version INTEGER,
            staff TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX dismissed_application ON dismissed(application, kind)
        """,
    )
