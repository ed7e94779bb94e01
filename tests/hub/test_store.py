"""The hub store's connections: checkpoints of the served hub run beside the requests."""

from __future__ import annotations

import time

from hub.store import open_db, write


def test_a_served_connection_leaves_checkpoints_to_the_background(tmp_path):
    path = tmp_path / "hub.db"
    open_db(path).close()
    db = open_db(path, migrate=False, background_checkpoint=True)
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] > 1000  # a backstop only
    before = path.stat().st_size
    for _ in range(20):
        with write(db):
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [str(time.monotonic_ns()), "x" * 50_000],
            )
    # The commits wrote to the WAL; the background copies them into the database file.
    for _ in range(100):  # bounded: 10 s
        if path.stat().st_size > before + 500_000:
            break
        time.sleep(0.1)
    assert path.stat().st_size > before + 500_000
    db.close()


def test_commits_wait_for_the_disk_unless_they_are_bookkeeping(tmp_path):
    """An acknowledged batch must survive a power cut: synchronous=FULL by default."""
    db = open_db(tmp_path / "hub.db")
    full, normal = 2, 1
    assert db.execute("PRAGMA synchronous").fetchone()[0] == full
    with write(db, durable=False):
        assert db.execute("PRAGMA synchronous").fetchone()[0] == normal
        db.execute("INSERT INTO meta (key, value) VALUES ('seen', '1')")
    assert db.execute("PRAGMA synchronous").fetchone()[0] == full
    try:
        with write(db, durable=False):
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    assert db.execute("PRAGMA synchronous").fetchone()[0] == full  # restored after a rollback
    assert db.execute("SELECT value FROM meta WHERE key = 'seen'").fetchone()[0] == "1"
    db.close()
