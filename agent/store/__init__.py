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
    if db.journal_mode != "wal":
        db.enable_wal()
    with _lock:
        migrations.apply(db)
    return db


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction; nested calls join the outer one."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with _lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.conn.rollback()
            raise
        else:
            db.execute("COMMIT")
