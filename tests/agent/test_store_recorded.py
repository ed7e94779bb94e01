"""The agent store's migration m005: hand-overs and ratings recorded at the counter (so that a
second is refused here) and attention items dealt with; a laptop upgraded with a hand-over
still waiting to sync keeps it as recorded."""

from __future__ import annotations

from pathlib import Path

from agent.store import local, open_db, outbox, write
from agent.store.schema import migrations
from sync.codec import canonical


def test_m005_keeps_a_hand_over_still_waiting_in_the_outbox_as_recorded(tmp_path: Path):
    db = open_db(tmp_path / "agent.db")
    # The laptop as it was before m005: no tables of it, a hand-over and a rating queued.
    db.execute("DROP TABLE recorded")
    db.execute("DROP TABLE dismissed")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_recorded_and_dismissed'")
    with write(db):
        for record_id, kind, body in (
            ("p1", "pickup.confirm", {"staff": "clerk-01", "collector": "applicant"}),
            ("r1", "rating.create", {"staff": "clerk-02", "level": "satisfied"}),
            ("c1", "application.create", {"staff": "clerk-01"}),
        ):
            outbox.add(
                db, record_id=record_id, kind=kind, application="a1", body=canonical(body), now=7
            )
    migrations.apply(db)
    handed = local.recorded(db, "a1", "pickup.confirm")
    assert handed is not None
    assert (handed["record_id"], handed["staff"], handed["detail"], handed["state"]) == (
        "p1",
        "clerk-01",
        "applicant",
        "pending",
    )
    rated = local.recorded(db, "a1", "rating.create")
    assert rated is not None and (rated["staff"], rated["detail"]) == ("clerk-02", "satisfied")
    assert db.execute("SELECT COUNT(*) FROM recorded").fetchone()[0] == 2
    with write(db):
        outbox.remove(db, ["p1"])  # acknowledged by the hub
    assert (local.recorded(db, "a1", "pickup.confirm") or {}).get("state") == "sent"
    db.close()


def test_m005_keeps_a_hand_over_and_a_rating_sent_before_it_as_recorded(tmp_path: Path):
    """Sent before the upgrade, their records are gone from the outbox: the outlet's own
    timeline says they were recorded, so the forms do not come back (the hub would refuse a
    second rating)."""
    db = open_db(tmp_path / "agent.db")
    db.execute("DROP TABLE recorded")
    db.execute("DROP TABLE dismissed")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_recorded_and_dismissed'")
    with write(db):
        for app_id, at, source, event in (
            ("a2", 5, "local", "picked up"),
            ("a2", 6, "local", "rated"),
            ("a3", 7, "hub", "delivered"),  # the hub's words are not the counter's records
        ):
            db.execute(
                "INSERT INTO timeline (application, at, source, event) VALUES (?, ?, ?, ?)",
                [app_id, at, source, event],
            )
    migrations.apply(db)
    for kind in ("pickup.confirm", "rating.create"):
        found = local.recorded(db, "a2", kind)
        assert found is not None and found["state"] == "sent", kind
    assert local.recorded(db, "a3", "pickup.confirm") is None
    assert db.execute("SELECT COUNT(*) FROM recorded").fetchone()[0] == 2
    db.close()


def test_dismissing_an_attention_row_resolves_it_once(tmp_path: Path):
    db = open_db(tmp_path / "agent.db")
    with write(db):
        local.add_attention(
            db, application="a1", record_id="x1", kind="rejected", reasons=[], body=None, now=1
        )
    [row] = local.open_attention(db)
    with write(db):
        assert local.dismiss(
            db,
            kind="rejected",
            application="a1",
            attention_id=row["id"],
            hub_version=None,
            staff="clerk-01",
            now=2,
        )
        assert not local.dismiss(
            db,
            kind="rejected",
            application="a1",
            attention_id=row["id"],
            hub_version=None,
            staff="clerk-01",
            now=3,
        )
    assert local.open_attention(db) == []
    assert (local.get_attention(db, row["id"]) or {}).get("resolved_at") == 2
    who = list(db.query("SELECT staff, at FROM dismissed"))
    assert who == [{"staff": "clerk-01", "at": 2}]
    db.close()
