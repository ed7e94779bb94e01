"""Schema migrations of the hub database (applied on every start)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("daiban-hub")


def _run(db: Database, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial(db: Database) -> None:
    # Statement by statement: executescript() would COMMIT the migration's transaction.
    _run(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE outlets (
            code TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('postal','mobile','township','village')),
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );

        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            outlet TEXT NOT NULL REFERENCES outlets(code),
            number INTEGER NOT NULL UNIQUE,
            tag TEXT NOT NULL UNIQUE,
            public_key TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL DEFAULT '',
            enrolled_at INTEGER NOT NULL,
            revoked_at INTEGER,
            revoked_reason TEXT,
            last_seen_at INTEGER,
            last_batch_at INTEGER,
            last_seq INTEGER NOT NULL DEFAULT 0,
            last_pull_at INTEGER,
            skew_ms INTEGER,
            agent_version TEXT,
            unsent INTEGER,
            quarantined INTEGER,
            batches INTEGER NOT NULL DEFAULT 0,
            records INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE enrolment_codes (
            code_hash TEXT PRIMARY KEY,
            outlet TEXT NOT NULL REFERENCES outlets(code),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            device TEXT
        );

        CREATE TABLE nonces (
            key_id TEXT NOT NULL,
            nonce TEXT NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (key_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX nonces_created ON nonces(created);

        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            device TEXT NOT NULL REFERENCES devices(id),
            seq INTEGER NOT NULL,
            digest TEXT NOT NULL,
            sent_at INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            skew_ms INTEGER NOT NULL,
            records INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            ack BLOB NOT NULL
        );
        CREATE INDEX batches_device ON batches(device, received_at);

        -- Every uplink record the hub applied, as received (canonical JSON), for audit.
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            device TEXT NOT NULL,
            batch TEXT NOT NULL,
            digest TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at INTEGER NOT NULL
        );

        -- Records the hub refused (or could not apply), kept for audit and shown to the outlet.
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            record_id TEXT,
            kind TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('rejected','conflict')),
            device TEXT NOT NULL,
            outlet TEXT NOT NULL,
            batch TEXT NOT NULL,
            idx INTEGER NOT NULL,
            reasons TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at INTEGER NOT NULL
        );
        CREATE INDEX quarantine_outlet ON quarantine(outlet, received_at);

        CREATE TABLE applications (
            id TEXT PRIMARY KEY,
            receipt TEXT NOT NULL UNIQUE,
            outlet TEXT NOT NULL REFERENCES outlets(code),
            device TEXT NOT NULL,
            staff TEXT NOT NULL,
            item TEXT NOT NULL,
            region TEXT NOT NULL,
            unit TEXT,
            status TEXT NOT NULL,
            version INTEGER NOT NULL,
            captured_at INTEGER NOT NULL,      -- device clock
            captured_at_hub INTEGER NOT NULL,  -- corrected by the batch's measured skew
            clock_flagged INTEGER NOT NULL DEFAULT 0,
            received_at INTEGER NOT NULL,
            delivery TEXT NOT NULL,
            applicant_id_type TEXT NOT NULL,
            applicant_record TEXT NOT NULL,    -- the record id the applicant was sealed for
            applicant_sealed TEXT NOT NULL,
            applicant_masked TEXT NOT NULL,
            address_record TEXT,
            address_sealed TEXT,
            address_masked TEXT,
            materials TEXT NOT NULL,
            promised TEXT NOT NULL,
            missing_scans INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT '',
            accepted_on TEXT,
            limit_days INTEGER,
            due_date TEXT,
            due_provisional INTEGER NOT NULL DEFAULT 0,
            sla_state TEXT,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX applications_unit ON applications(unit, status);
        CREATE INDEX applications_outlet ON applications(outlet);
        CREATE INDEX applications_status ON applications(status, due_date);

        -- The timeline of each application: every transition and who made it.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            application TEXT NOT NULL REFERENCES applications(id),
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT,
            note TEXT NOT NULL DEFAULT '',
            data TEXT
        );
        CREATE INDEX events_application ON events(application, id);

        -- Scans an application references, and whether their bytes have arrived.
        CREATE TABLE scans (
            application TEXT NOT NULL REFERENCES applications(id),
            sha256 TEXT NOT NULL,
            material TEXT NOT NULL,
            present INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (application, sha256)
        );
        CREATE INDEX scans_sha ON scans(sha256, present);

        CREATE TABLE ratings (
            id TEXT PRIMARY KEY,
            application TEXT NOT NULL REFERENCES applications(id),
            outlet TEXT NOT NULL,
            level TEXT NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            staff TEXT NOT NULL,
            at INTEGER NOT NULL,
            bad INTEGER NOT NULL,
            excluded_reason TEXT
        );

        CREATE TABLE sla_pauses (
            application TEXT NOT NULL REFERENCES applications(id),
            started_on TEXT NOT NULL,
            ended_on TEXT,
            PRIMARY KEY (application, started_on)
        );

        -- The pull feed: downlink records per outlet ('*' = every outlet); seq is the cursor.
        CREATE TABLE feed (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            outlet TEXT NOT NULL,
            kind TEXT NOT NULL,
            application TEXT,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX feed_outlet ON feed(outlet, seq);

        CREATE TABLE catalogue (
            version INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            imported_at INTEGER NOT NULL,
            imported_by TEXT NOT NULL
        );

        CREATE TABLE region_overrides (
            item TEXT NOT NULL,
            region TEXT NOT NULL,
            unit TEXT NOT NULL,
            PRIMARY KEY (item, region)
        );

        CREATE TABLE calendar_overrides (
            day TEXT PRIMARY KEY,
            workday INTEGER NOT NULL,
            name TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE calendar_years (year INTEGER PRIMARY KEY, loaded_at INTEGER NOT NULL);

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('admin','operator','officer')),
            unit TEXT,
            password_hash TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        );

        -- Each read of decrypted personal data (PIPL): who, what, when, why.
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            user TEXT NOT NULL,
            action TEXT NOT NULL,
            application TEXT,
            detail TEXT NOT NULL DEFAULT ''
        );

        CREATE TABLE alarms (
            key TEXT PRIMARY KEY,
            level TEXT NOT NULL,
            message TEXT NOT NULL,
            raised_at INTEGER NOT NULL,
            cleared_at INTEGER
        );
        """,
    )


@migrations()
def m002_delivery(db: Database) -> None:
    _run(
        db,
        """
        -- When the department decided (approve, reject, refuse): what statistics count from.
        ALTER TABLE applications ADD COLUMN completed_at INTEGER;
        CREATE INDEX applications_completed ON applications(completed_at);

        ALTER TABLE ratings ADD COLUMN excluded_by TEXT;
        ALTER TABLE ratings ADD COLUMN excluded_at INTEGER;
        CREATE UNIQUE INDEX ratings_application ON ratings(application);

        -- Carriers that may push tracking events; the secret signs their webhooks (HMAC).
        CREATE TABLE carriers (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        );

        -- A result on its way to the citizen. 'pending' until its tracking number is known;
        -- 'open' while in the post; 'delivered' or 'returned' when the carrier says so.
        CREATE TABLE shipments (
            id TEXT PRIMARY KEY,
            application TEXT NOT NULL REFERENCES applications(id),
            state TEXT NOT NULL CHECK (state IN ('pending','open','delivered','returned')),
            carrier TEXT,
            tracking TEXT,
            address_record TEXT,
            address_sealed TEXT,
            address_masked TEXT,
            opened_at INTEGER NOT NULL,
            opened_by TEXT NOT NULL,
            posted_at INTEGER,
            last_event TEXT,
            last_event_at INTEGER,
            closed_at INTEGER,
            stale_since INTEGER,
            UNIQUE (carrier, tracking)
        );
        CREATE INDEX shipments_application ON shipments(application);
        CREATE INDEX shipments_state ON shipments(state);

        -- Carrier events, idempotent by the carrier's event id; read in event-time order.
        CREATE TABLE shipment_events (
            id INTEGER PRIMARY KEY,
            shipment TEXT NOT NULL REFERENCES shipments(id),
            carrier TEXT NOT NULL,
            event_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            at INTEGER NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            digest TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            UNIQUE (carrier, event_id)
        );
        CREATE INDEX shipment_events_order ON shipment_events(shipment, at, id);

        -- A bad rating's follow-up: due in working days, closed with a resolution note.
        CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            rating TEXT NOT NULL UNIQUE REFERENCES ratings(id),
            application TEXT NOT NULL REFERENCES applications(id),
            outlet TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            due_date TEXT NOT NULL,
            due_provisional INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL CHECK (state IN ('open','resolved','excluded')),
            resolution TEXT,
            resolved_by TEXT,
            resolved_at INTEGER
        );
        CREATE INDEX followups_state ON followups(state, due_date);

        -- Per-city rules (a city is the 4-digit prefix of a division code, as 510100).
        CREATE TABLE city_settings (
            city TEXT PRIMARY KEY,
            followup_days INTEGER NOT NULL CHECK (followup_days BETWEEN 1 AND 30)
        );
        """,
    )


@migrations()
def m003_batch_frames(db: Database) -> None:
    _run(
        db,
        """
        -- A batch's frame as received, kept once: most of its records point into it (records.idx)
        -- instead of each holding a copy of its canonical body.
        ALTER TABLE batches ADD COLUMN frame BLOB;
        -- The outlet's feed cursor before and after the batch was applied: the feed records it
        -- made, which its acknowledgement carries when the device asks (feed=1).
        ALTER TABLE batches ADD COLUMN feed_after INTEGER;
        ALTER TABLE batches ADD COLUMN feed_cursor INTEGER;
        -- The record's slot in its batch. records.body is '' when the record was sent
        -- canonical: its body is then that slot of batches.frame, byte for byte.
        ALTER TABLE records ADD COLUMN idx INTEGER;
        """,
    )


@migrations()
def m004_signin_throttle(db: Database) -> None:
    _run(
        db,
        """
        -- Failed sign-ins to the pages, counted per account (the name typed, known or not) and
        -- per client address, so that guessing passwords is slow across threads, processes
        -- and restarts. A row with no failure for a while is forgotten (deleted).
        CREATE TABLE signin_throttle (
            scope TEXT NOT NULL CHECK (scope IN ('account','address')),
            key TEXT NOT NULL,
            failures INTEGER NOT NULL,       -- in the current window, tries in flight included
            window_start INTEGER NOT NULL,
            blocked_until INTEGER,           -- tries are refused until then
            lockouts INTEGER NOT NULL,       -- blocks in a row: each one twice as long
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (scope, key)
        ) WITHOUT ROWID;
        CREATE INDEX signin_throttle_updated ON signin_throttle(updated_at)
        """,
    )


@migrations()
def m005_device_succession(db: Database) -> None:
    _run(
        db,
        """
        -- The device this one was enrolled to succeed (the same home enrolled again, proven by
        -- the old key's signature over the new one, protocol.md section 4.3): it may still give
        -- the receipt numbers of the devices on this chain (section 4.3). NULL for a new home.
        ALTER TABLE devices ADD COLUMN successor_of TEXT REFERENCES devices(id)
        """,
    )


@migrations()
def m006_pause_per_request(db: Database) -> None:
    """Any number of time-limit pauses per application, several on one day among them.

    A pause was keyed by (application, started_on), and opened with INSERT OR IGNORE: a second
    supplement request on a day a pause had already started (asked, supplied and asked again
    the same day) opened none, so the clock ran on through it. A pause is now a row of its own
    (``id``, in the order they were opened), keyed by the timeline event that opened it.

    The pauses are rebuilt from the timeline, which records every request and supplement: each
    ``request_supplement`` opens one on its China day, the next ``supplement`` closes it. Pauses
    lost to the old key come back; the hub's next sweep (or any later move of the case)
    computes the due dates again from them and tells the outlets of dates that moved.
    """
    _run(
        db,
        """
        CREATE TABLE sla_pauses_v2 (
            id INTEGER PRIMARY KEY,            -- in the order the pauses were opened
            application TEXT NOT NULL REFERENCES applications(id),
            -- The timeline's request_supplement event that opened it: opening a pause again
            -- for the same event opens none. NULL only for a pause that no event accounts for.
            opened_by INTEGER UNIQUE REFERENCES events(id),
            started_on TEXT NOT NULL,          -- China days, ISO
            ended_on TEXT                      -- NULL while the supplement is awaited
        )
        """,
    )
    rebuilt: set[str] = set()
    open_now: dict[str, int] = {}  # application -> its open pause's row id
    # The day in China of each step (sync.clock.china_date: UTC+8 all year, no daylight saving).
    steps = db.execute(
        "SELECT id, application, date(at / 1000, 'unixepoch', '+8 hours'), action FROM events"
        " WHERE action IN ('request_supplement', 'supplement') ORDER BY application, id"
    ).fetchall()
    for event_id, app_id, day, action in steps:
        rebuilt.add(app_id)
        if action == "request_supplement":
            if app_id in open_now:
                continue  # asked again while awaited: the workflow never does; one pause
            cursor = db.execute(
                "INSERT INTO sla_pauses_v2 (application, opened_by, started_on) VALUES (?, ?, ?)",
                [app_id, event_id, day],
            )
            open_now[app_id] = int(cursor.lastrowid or 0)
        elif app_id in open_now:
            db.execute(
                "UPDATE sla_pauses_v2 SET ended_on = ? WHERE id = ?", [day, open_now.pop(app_id)]
            )
    # A pause no timeline accounts for (none should exist) is kept as it was.
    for app_id, started_on, ended_on in db.execute(
        "SELECT application, started_on, ended_on FROM sla_pauses ORDER BY application, started_on"
    ).fetchall():
        if app_id not in rebuilt:
            db.execute(
                "INSERT INTO sla_pauses_v2 (application, started_on, ended_on) VALUES (?, ?, ?)",
                [app_id, started_on, ended_on],
            )
    _run(
        db,
        """
        DROP TABLE sla_pauses;
        ALTER TABLE sla_pauses_v2 RENAME TO sla_pauses;
        CREATE INDEX sla_pauses_application ON sla_pauses(application, id);
        -- At most one pause open per application: the clock cannot stop twice at once.
        CREATE UNIQUE INDEX sla_pauses_open ON sla_pauses(application) WHERE ended_on IS NULL
        """,
    )


@migrations()
def m007_list_indexes(db: Database) -> None:
    """Indexes for the lists' keyset pages and search (hub/store/applications.py,
    ``application_page``): every filter a list takes, then (received_at, id), so that a page
    is an index range whatever its depth; and the masked copies searched by (the receipt's
    counter, the masked name and its one clear character, the phone's last four digits), as
    expressions the queries repeat word for word, those of the name and the phone followed by
    (received_at, id) too. ``applications_outlet`` becomes (outlet, received_at, id), and
    ``applications_unit`` (unit, status) goes: (unit, status, received_at, id) starts so."""
    _run(
        db,
        """
        CREATE INDEX applications_received ON applications(received_at, id);
        CREATE INDEX applications_unit_received ON applications(unit, received_at, id);
        DROP INDEX applications_unit;
        CREATE INDEX applications_unit_status_received
            ON applications(unit, status, received_at, id);
        CREATE INDEX applications_status_received ON applications(status, received_at, id);
        CREATE INDEX applications_item_received ON applications(item, received_at, id);
        CREATE INDEX applications_sla_received ON applications(sla_state, received_at, id);
        DROP INDEX applications_outlet;
        CREATE INDEX applications_outlet ON applications(outlet, received_at, id);
        CREATE INDEX applications_counter ON applications(substr(receipt, 6));
        CREATE INDEX applications_surname ON applications(
            substr(json_extract(applicant_masked, '$.name'), 1, 1), received_at, id
        );
        CREATE INDEX applications_masked_name ON applications(
            json_extract(applicant_masked, '$.name'), received_at, id
        );
        CREATE INDEX applications_phone_tail ON applications(
            substr(json_extract(applicant_masked, '$.phone'), -4), received_at, id
        )
        """,
    )
