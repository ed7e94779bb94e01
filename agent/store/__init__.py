"""The agent's local store: every SQL statement of the agent lives in this package.

One SQLite file in the home folder (WAL). A captured record and its outbox entry commit in
one transaction (``write``), and so does each pulled page with the cursor it moves.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from .schema import migrations

_lock = threading.RLock()


def open_db(path: str | Path) -> Database:
    """Open and migrate the agent database."""
    db = Database(str(path))
    db.execute("PRAGMA busy_timeout = 15000")
    db.execute("PRAGMA foreign_keys = ON")
    # Debian builds SQLite with secure_delete on: every freed page (each outbox row a sync
    # round deletes) is overwritten with zeros. Personal data is sealed before it is stored,
    # so FAST (zeroing only what costs no extra I/O) loses nothing.
    db.execute("PRAGMA secure_delete = FAST")
    if db.journal_mode != "wal":
        db.enable_wal()
    with _lock:
        migrations.apply(db)
    return db


@contextlib.contextmanager
def write(db: Database, *, durable: bool = True) -> Iterator[Database]:
    """One write transaction; nested calls join the outer one.

    ``durable=False``: the commit does not wait for the disk (SQLite ``synchronous=NORMAL``
    in WAL mode). The transaction stays atomic and survives the process being killed; only a
    power cut or OS crash may roll it back, together with later non-durable ones. For the
    sync round's bookkeeping, which the hub redoes when lost: an acknowledgement applied
    again (the hub answers duplicate), a page pulled again with the cursor it moved. Never
    for capture: what a citizen handed over is committed durably.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with _lock:
        level = None
        if not durable:
            level = db.execute("PRAGMA synchronous").fetchone()[0]
            db.execute("PRAGMA synchronous = NORMAL")
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            else:
                db.execute("COMMIT")
        finally:
            if level is not None:
                db.execute(f"PRAGMA synchronous = {int(level)}")


# Pages the WAL may hold during a sync round before SQLite checkpoints it anyway (~100 MB).
ROUND_CHECKPOINT_PAGES = 25_000


@contextlib.contextmanager
def one_checkpoint(db: Database) -> Iterator[Database]:
    """Checkpoint the WAL once at the end rather than every ~4 MB on the way.

    A sync round rewrites thousands of rows in tens of commits; SQLite's automatic checkpoint
    would copy the pages they share into the database file, with an fsync, many times over.
    """
    level = db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    db.execute(f"PRAGMA wal_autocheckpoint = {ROUND_CHECKPOINT_PAGES}")
    try:
        yield db
    finally:
        db.execute(f"PRAGMA wal_autocheckpoint = {int(level)}")
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
