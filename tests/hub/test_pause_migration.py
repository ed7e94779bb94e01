"""Migration m006: the time-limit pauses of an existing hub database, one row per request.

Before it, a pause was keyed by (application, started_on) and opened with INSERT OR IGNORE, so
a second supplement request on a day a pause had already started (asked, supplied, asked again)
left no pause: the clock ran through it. The database here is made by the migrations before
m006, its pauses written as that code wrote them; the migration rebuilds them from the timeline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlite_utils import Database

from hub import store
from hub.cases import Hub, refresh_clock, transition
from hub.catalogue import sample_catalogue
from hub.context import work_calendar
from hub.store import open_db, write
from hub.store.schema import migrations
from sync import records as r
from sync.ids import uuid7

OUTLET = "PO-1"
UNIT = "HRSS-510107"
# What the hub did before m006 (hub/store/applications.py), kept here to make old databases.
OLD_OPEN = "INSERT OR IGNORE INTO sla_pauses (application, started_on) VALUES (?, ?)"
OLD_CLOSE = "UPDATE sla_pauses SET ended_on = ? WHERE application = ? AND ended_on IS NULL"


def china_ms(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> int:
    china = timezone(timedelta(hours=8))
    return int(datetime(year, month, day, hour, minute, tzinfo=china).timestamp() * 1000)


MONDAY = china_ms(2026, 11, 2)


def old_database(path: Path) -> Database:
    """A hub database as the hub made it before m006 (every earlier migration applied)."""
    db = Database(str(path))
    migrations.apply(db, stop_before="m006_pause_per_request")
    assert "opened_by" not in db["sla_pauses"].columns_dict
    db.execute(
        "INSERT INTO outlets (code, kind, name, region, created_at) VALUES (?, ?, ?, ?, ?)",
        [OUTLET, "postal", "PO-1 代办点", "510107", MONDAY],
    )
    return db


def accepted_application(db: Database, n: int) -> str:
    """An application accepted on Monday 2026-11-02 with a limit of 5 working days."""
    app_id = uuid7(MONDAY + n, os.urandom(10))
    db.execute(
        "INSERT INTO applications (id, receipt, outlet, device, staff, item, region, unit,"
        " status, version, captured_at, captured_at_hub, received_at, delivery,"
        " applicant_id_type, applicant_record, applicant_sealed, applicant_masked, materials,"
        " promised, accepted_on, limit_days, due_date, sla_state, updated_at)"
        " VALUES (?, ?, ?, 'dev', 'clerk-01', 'SS-CARD-APPLY', '510107', ?, 'accepted', 3,"
        " ?, ?, ?, 'pickup', 'resident_id', ?, 's1.x', '{}', '[]', '[]', '2026-11-02', 5,"
        " '2026-11-09', 'on_track', ?)",
        [app_id, f"R{n:04d}", OUTLET, UNIT, MONDAY, MONDAY, MONDAY, app_id, MONDAY],
    )
    return app_id


def old_step(db: Database, app_id: str, action: str, at: int) -> int:
    """A supplement request or supplement as the hub recorded it before m006."""
    day = datetime.fromtimestamp(at / 1000, timezone(timedelta(hours=8))).date().isoformat()
    if action == "request_supplement":
        before, after = "accepted", "supplement_requested"
        db.execute(OLD_OPEN, [app_id, day])
    else:
        before, after = "supplement_requested", "accepted"
        db.execute(OLD_CLOSE, [day, app_id])
    db.execute(
        "UPDATE applications SET status = ?, version = version + 1 WHERE id = ?", [after, app_id]
    )
    cursor = db.execute(
        "INSERT INTO events (application, at, actor, action, from_status, to_status)"
        " VALUES (?, ?, 'test', ?, ?, ?)",
        [app_id, at, action, before, after],
    )
    return int(cursor.lastrowid or 0)


def pause_rows(db: Database, app_id: str) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in db.execute(
            "SELECT opened_by, started_on, ended_on FROM sla_pauses WHERE application = ?"
            " ORDER BY id",
            [app_id],
        ).fetchall()
    ]


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An old database with the cases below, then opened by the hub (which migrates it)."""
    path = tmp_path / "hub.db"
    db = old_database(path)
    cases: dict[str, Any] = {}
    with db.conn:
        # Resumed: asked, supplied and asked again on Tuesday 11-03, supplied on Friday 11-06.
        resumed = accepted_application(db, 1)
        cases["resumed"] = (
            resumed,
            old_step(db, resumed, "request_supplement", china_ms(2026, 11, 3, 9)),
            old_step(db, resumed, "supplement", china_ms(2026, 11, 3, 10)),
            old_step(db, resumed, "request_supplement", china_ms(2026, 11, 3, 11)),
            old_step(db, resumed, "supplement", china_ms(2026, 11, 6, 15)),
        )
        # Awaited: asked, supplied and asked again on Tuesday; the supplement is still awaited.
        awaited = accepted_application(db, 2)
        cases["awaited"] = (
            awaited,
            old_step(db, awaited, "request_supplement", china_ms(2026, 11, 3, 9)),
            old_step(db, awaited, "supplement", china_ms(2026, 11, 3, 10)),
            old_step(db, awaited, "request_supplement", china_ms(2026, 11, 3, 11)),
        )
        # Around midnight in China (16:00 UTC): the days are China's, as the hub counts them.
        midnight = accepted_application(db, 3)
        cases["midnight"] = (
            midnight,
            old_step(db, midnight, "request_supplement", china_ms(2026, 11, 3, 23, 59)),
            old_step(db, midnight, "supplement", china_ms(2026, 11, 4, 0, 1)),
        )
        # A pause no timeline step accounts for.
        legacy = accepted_application(db, 4)
        db.execute(
            "INSERT INTO sla_pauses (application, started_on, ended_on) VALUES (?, ?, ?)",
            [legacy, "2026-11-04", "2026-11-05"],
        )
        cases["legacy"] = (legacy,)
    # What the old key did: the second pause of Tuesday was never stored.
    for app_id in (resumed, awaited):
        old = "SELECT started_on, ended_on FROM sla_pauses WHERE application = ?"
        assert db.execute(old, [app_id]).fetchall() == [("2026-11-03", "2026-11-03")]
    db.close()
    cases["db"] = open_db(path)
    yield cases
    cases["db"].close()


def test_the_pauses_the_old_key_dropped_come_back_from_the_timeline(migrated):
    db = migrated["db"]
    resumed, ask1, _, ask2, _ = migrated["resumed"]
    assert pause_rows(db, resumed) == [
        (ask1, "2026-11-03", "2026-11-03"),
        (ask2, "2026-11-03", "2026-11-06"),
    ]
    awaited, ask1, _, ask2 = migrated["awaited"]
    assert pause_rows(db, awaited) == [
        (ask1, "2026-11-03", "2026-11-03"),
        (ask2, "2026-11-03", None),
    ]
    midnight, ask, _ = migrated["midnight"]
    assert pause_rows(db, midnight) == [(ask, "2026-11-03", "2026-11-04")]
    (legacy,) = migrated["legacy"]
    assert pause_rows(db, legacy) == [(None, "2026-11-04", "2026-11-05")]
    assert store.applications.pauses(db, awaited) == [
        ("2026-11-03", "2026-11-03"),
        ("2026-11-03", None),
    ]


def test_the_migrated_table_keys_a_pause_by_its_request(migrated, tmp_path):
    db = migrated["db"]
    assert [m.name for m in migrations.pending(db)] == []
    assert set(db["sla_pauses"].columns_dict) == {
        "id",
        "application",
        "opened_by",
        "started_on",
        "ended_on",
    }
    indexes = {i.name: i for i in db["sla_pauses"].indexes}
    assert indexes["sla_pauses_open"].unique and indexes["sla_pauses_open"].columns == [
        "application"
    ]
    assert any(i.unique and i.columns == ["opened_by"] for i in indexes.values())
    assert not [row for row in db.execute("PRAGMA foreign_key_check(sla_pauses)")]
    # A fresh hub has the same table.
    fresh = open_db(tmp_path / "fresh.db")
    try:
        assert db["sla_pauses"].schema == fresh["sla_pauses"].schema
    finally:
        fresh.close()


def test_the_next_sweep_corrects_a_due_date_the_lost_pause_had_cut_short(migrated):
    db = migrated["db"]
    resumed = migrated["resumed"][0]
    hub = Hub(
        db=db,
        catalogue=sample_catalogue(),
        calendar=work_calendar(db),
        now_ms=china_ms(2026, 11, 6, 16),
    )
    app = store.applications.get_application(db, resumed)
    assert app is not None and app["due_date"] == "2026-11-09"  # as the old pauses had it
    with write(db):
        assert refresh_clock(hub, app) == "on_track"
    fixed = store.applications.get_application(db, resumed)
    assert fixed is not None
    # 4 working days left after Friday 11-06: 09, 10, 11, 12.
    assert fixed["due_date"] == "2026-11-12"
    (body,) = [
        row[0]
        for row in db.execute(
            "SELECT body FROM feed WHERE application = ? AND kind = 'status.changed'", [resumed]
        )
    ]
    told = msgspec.json.decode(body, type=r.DownlinkRecord)
    assert isinstance(told, r.StatusChanged)
    assert (told.due_date, told.note) == ("2026-11-12", "办结期限已更新")


def test_a_supplement_still_awaited_resumes_from_the_restored_pause(migrated):
    db = migrated["db"]
    awaited = migrated["awaited"][0]
    hub = Hub(
        db=db,
        catalogue=sample_catalogue(),
        calendar=work_calendar(db),
        now_ms=china_ms(2026, 11, 6, 15),
    )
    app = store.applications.get_application(db, awaited)
    assert app is not None and app["status"] == "supplement_requested"
    with write(db):
        done = transition(hub, app, "supplement", role="outlet", actor="clerk-01@PO-1")
    assert (done["status"], done["due_date"]) == ("accepted", "2026-11-12")
    assert store.applications.pauses(db, awaited)[-1] == ("2026-11-03", "2026-11-06")
    # And the clock may stop again the same day, for a request of its own.
    with write(db):
        again = transition(hub, done, "request_supplement", role="officer", actor="li(officer)")
    assert again["sla_state"] == "paused"
    assert store.applications.pauses(db, awaited)[-1] == ("2026-11-06", None)
    last = store.applications.events(db, awaited)[-1]
    assert last["action"] == "request_supplement"
    assert pause_rows(db, awaited)[-1][0] == last["id"]
