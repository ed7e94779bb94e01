"""The hub's store: every SQL statement of the hub lives in this package.

One SQLite file in WAL mode, opened per request (or per CLI command). Writes go through
``write()``: BEGIN IMMEDIATE under a process-wide lock, so concurrent requests queue instead
of failing with "database is locked", and other processes wait up to the busy timeout.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from hub.store.schema import migrations

BUSY_TIMEOUT_MS = 15_000
# A connection that leaves checkpoints to the background still makes one itself past this many
# WAL pages (about 40 MB), so the WAL stays bounded if the background falls behind.
BACKSTOP_CHECKPOINT_PAGES = 10_000
_write_lock = threading.RLock()
log = logging.getLogger(__name__)


def open_db(
    path: str | Path, *, migrate: bool = True, background_checkpoint: bool = False
) -> Database:
    """Open (and by default migrate) the hub database.

    ``background_checkpoint``: for the served hub's long-lived connections. SQLite's automatic
    checkpoint (copying the WAL back into the database file, with an fsync, every ~4 MB)
    otherwise runs inside whichever write commits past the threshold, tens of milliseconds
    added to that request. Instead, each commit wakes a checkpoint thread of the database's
    own: a passive checkpoint never blocks readers or the writer.
    """
    db = Database(str(path))
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit waits for the WAL fsync. With NORMAL a power cut could roll back a batch
    # the hub had acknowledged, after the device had dropped it from its outbox. Bookkeeping
    # that the next request redoes may skip the wait: see write(durable=False).
    db.execute("PRAGMA synchronous = FULL")
    if db.journal_mode != "wal":
        db.enable_wal()
    if migrate:
        with _write_lock:
            migrations.apply(db)
    if background_checkpoint:
        db.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES}")
        _deferred[db] = str(path)
    return db


class _Checkpointer(threading.Thread):
    """Checkpoints one database file whenever asked; ends after a quiet minute."""

    IDLE_S = 60.0
    # A burst of commits (a device pushing its backlog) is checkpointed once after it rather
    # than after every commit: the pages the commits share (index pages above all) are then
    # copied once, not once per commit.
    COALESCE_S = 1.0

    def __init__(self, path: str) -> None:
        super().__init__(name="daiban-checkpoint", daemon=True)
        self.path = path
        self.wanted = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        db = Database(self.path)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            while True:
                if not self.wanted.wait(self.IDLE_S):
                    with _checkpointers_lock:
                        if not self.wanted.is_set():  # nobody asked meanwhile: stand down
                            _checkpointers.pop(self.path, None)
                            return
                self.stopping.wait(self.COALESCE_S)  # a shutdown does not wait for the burst
                self.wanted.clear()
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:  # the next commit asks again
                    log.warning("background checkpoint of %s failed: %s", self.path, exc)
                if self.stopping.is_set():
                    return
        finally:
            db.close()


_deferred: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()
_checkpointers: dict[str, _Checkpointer] = {}
_checkpointers_lock = threading.Lock()


def _checkpoint_later(path: str) -> None:
    with _checkpointers_lock:
        worker = _checkpointers.get(path)
        if worker is None:
            worker = _checkpointers[path] = _Checkpointer(path)
            worker.start()
        worker.wanted.set()


def stop_checkpoints(path: str | Path) -> None:
    """A served hub shutting down: its database's checkpoint thread makes a last checkpoint
    and ends now, rather than a minute later with the file still open."""
    with _checkpointers_lock:
        worker = _checkpointers.pop(str(path), None)
    if worker is not None:
        worker.stopping.set()
        worker.wanted.set()
        worker.join(timeout=5)


@contextlib.contextmanager
def write(db: Database, *, durable: bool = True) -> Iterator[Database]:
    """One write transaction; nested calls join the outer one.

    ``durable=False``: the commit does not wait for the disk (``synchronous=NORMAL``). It
    stays atomic and survives the process being killed; a power cut may roll it back, and
    only it and later non-durable commits, since the next durable commit's fsync covers the
    WAL before it. For bookkeeping only (a device last seen, a signature nonce): never for
    what the hub acknowledges.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with _write_lock:
        if not durable:
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
            if not durable:
                db.execute("PRAGMA synchronous = FULL")
        path = _deferred.get(db)
        if path is not None:
            _checkpoint_later(path)


# The aggregates, each the SQL of one part of the hub's data; callers name the layer and the
# aggregate at each call: ``store.applications.get_application(db, id)``.
from hub.store import (  # noqa: E402  (they need nothing above; imported last to be attributes)
    alarms,
    applications,
    audit,
    batches,
    calendar,
    catalogue,
    devices,
    ratings,
    shipments,
    stats,
    users,
)

__all__ = [
    "alarms",
    "applications",
    "audit",
    "batches",
    "calendar",
    "catalogue",
    "devices",
    "open_db",
    "ratings",
    "shipments",
    "stats",
    "stop_checkpoints",
    "users",
    "write",
]
