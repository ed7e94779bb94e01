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
