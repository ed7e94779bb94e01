"""The hub's store: every SQL statement of the hub lives in this package.

One SQLite file in WAL mode, opened per request (or per CLI command). Writes go through
``write()``: BEGIN IMMEDIATE under a process-wide lock, so concurrent requests queue instead
of failing with "database is locked", and other processes wait up to the busy timeout.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from .schema import migrations

BUSY_TIMEOUT_MS = 15_000
_write_lock = threading.RLock()


def open_db(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (and by default migrate) the hub database."""
    db = Database(str(path))
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed tx
    if db.journal_mode != "wal":
        db.enable_wal()
    if migrate:
        with _write_lock:
            migrations.apply(db)
    return db


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction; nested calls join the outer one."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with _write_lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.conn.rollback()
            raise
        else:
            db.execute("COMMIT")
