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
