"""hub.cases on a real hub database: supplement requests, the time-limit clock, CaseError.

Each test starts from a data folder made by ``init_data`` (copied, not re-made), puts an
application in through ``ingest.apply_batch`` with a batch encoded as a device sends it, and
moves it with ``cases.transition`` as the API does. What the outlet is told is read back from
the feed table and decoded as an outlet would decode it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest

from hub import store
from hub.blobs import LocalBlobStore
from hub.cases import (
    CaseError,
    Hub,
    _running_due,
    refresh_clock,
    request_supplement,
    status_record,
    transition,
)
from hub.catalogue import sample_catalogue
from hub.context import work_calendar
from hub.ingest import apply_batch
from hub.keys import load_keys
from hub.setup import add_outlet, init_data, load_calendar, publish_catalogue
from hub.store import open_db, write
from hub.workflow import (
    ACTIONS,
    ROLES,
    STATES,
    UnknownAction,
    UnknownRole,
    UnknownState,
    next_state,
)
from sync import records as r
from sync.batch import decode_batch, encode_batch, new_batch
from sync.ids import device_tag, uuid7
from tests import factories

CAT = sample_catalogue()
ITEM = "SS-CARD-APPLY"  # 5 working days, routed to HRSS-510107 for region 510107
UNIT = "HRSS-510107"
OUTLET = "PO-1"
TAG = device_tag(0)
DEVICE = f"dev-{TAG}"
OFFICER = "wang(officer)"


def china_ms(year: int, month: int, day: int, hour: int = 9) -> int:
    china = timezone(timedelta(hours=8))
    return int(datetime(year, month, day, hour, tzinfo=china).timestamp() * 1000)


# Monday. Accepted today, SS-CARD-APPLY is due Monday 2026-11-09 (no holiday in between).
MONDAY = china_ms(2026, 11, 2)
DUE = "2026-11-09"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised data folder per module (init costs ~0.25 s, a copy milliseconds)."""
    root = tmp_path_factory.mktemp("cases") / "hub"
    init_data(root, CAT, now=MONDAY)
    db = open_db(root / "hub.db", migrate=False)
    with write(db):
        add_outlet(db, code=OUTLET, kind="postal", name="PO-1 代办点", region="510107", now=MONDAY)
        # Enrolment is an HTTP exchange; ingest needs only the device row it leaves.
        store.devices.add_device(
            db,
            device_id=DEVICE,
            outlet=OUTLET,
            number=0,
            tag=TAG,
            public_key="test-key",
            label="",
            now=MONDAY,
        )
    db.close()
    return root


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "hub"
    shutil.copytree(template, folder)
    return folder


@pytest.fixture
def hub(data: Path) -> Iterator[Hub]:
    db = open_db(data / "hub.db", migrate=False)
    yield Hub(db=db, catalogue=CAT, calendar=work_calendar(db), now_ms=MONDAY)
    db.close()


@pytest.fixture
def received(hub: Hub, data: Path) -> Callable[[], dict[str, Any]]:
    """Put a new application in as the outlet's device would; it is routed to UNIT."""
    sealing = load_keys(data / "keys").sealing.public_key()
    blobs = LocalBlobStore(data / "blobs")
    seqs = itertools.count(1)

    def put_in() -> dict[str, Any]:
        seq = next(seqs)
        record = factories.catalogue_application(
            random.Random(seq),
            sealing,
            CAT.item(ITEM),
            tag=TAG,
            seq=seq,
            outlet=OUTLET,
            ms=hub.now_ms,
            scans=False,
        )
        batch = new_batch(
            device=DEVICE,
            batch_id=uuid7(hub.now_ms, os.urandom(10)),
            seq=seq,
            sent_at=hub.now_ms,
            records=[record],
        )
        frame = encode_batch(batch)
        with write(hub.db):
            result = apply_batch(
                hub,
                device=store.devices.get_device(hub.db, DEVICE) or {},
                outlet=store.devices.get_outlet(hub.db, OUTLET) or {},
                batch=decode_batch(frame),
                blobs=blobs,
                frame=frame,
            )
        assert [x.status for x in result.ack.results] == ["accepted"]
        return row(hub, record.id)

    return put_in


def row(hub: Hub, app_id: str) -> dict[str, Any]:
    found = store.applications.get_application(hub.db, app_id)
    assert found is not None
    return found


def act(hub: Hub, app: dict[str, Any], action: str, *, role: str = "officer", **kw: Any) -> dict:
    """A workflow action on the stored row, in one write as the API does; the new row."""
    with write(hub.db):
        transition(hub, row(hub, app["id"]), action, role=role, actor=OFFICER, **kw)
    return row(hub, app["id"])


def accepted(hub: Hub, received: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return act(hub, received(), "accept")


def feed_rows(hub: Hub, after: int) -> list[dict[str, Any]]:
    return list(
        hub.db.query(
            "SELECT * FROM feed WHERE outlet = ? AND seq > ? ORDER BY seq", [OUTLET, after]
        )
    )


def decoded(body: str) -> Any:
    """A feed record as the outlet decodes it: every field checked against the protocol."""
    return msgspec.json.decode(body, type=r.DownlinkRecord)


def snapshot(hub: Hub, app_id: str) -> tuple[Any, ...]:
    return (
        row(hub, app_id),
        store.applications.events(hub.db, app_id),
        store.applications.pauses(hub.db, app_id),
        feed_rows(hub, 0),
    )


# --- request_supplement ----------------------------------------------------------------------


@pytest.mark.parametrize("message", ["", "  \n\t "], ids=["empty", "blank"])
def test_a_supplement_request_naming_nothing_is_refused_and_changes_nothing(hub, received, message):
    app = accepted(hub, received)
    before = snapshot(hub, app["id"])
    # Outside write(): a refusal must come before any write, not rely on a rollback.
    with pytest.raises(CaseError) as caught:
        request_supplement(hub, app, actor=OFFICER, role="officer", materials=[], message=message)
    err = caught.value
    text = "name the materials needed or say what is needed"
    assert (str(err), err.message, err.code, err.status) == (text, text, "invalid", 400)
    assert snapshot(hub, app["id"]) == before


@pytest.mark.parametrize(
    ("materials", "message"),
    [(["PHOTO"], ""), (["PHOTO"], "   "), ([], "请补交户口本首页")],
    ids=["materials-only", "materials-blank-message", "message-only"],
)
def test_materials_alone_or_a_message_alone_is_enough(hub, received, materials, message):
    app = accepted(hub, received)
    with write(hub.db):
        updated = request_supplement(
            hub, app, actor=OFFICER, role="officer", materials=materials, message=message
        )
    assert (updated["status"], updated["version"]) == ("supplement_requested", app["version"] + 1)
    assert row(hub, app["id"])["status"] == "supplement_requested"


def test_the_outlet_is_told_what_is_needed_and_the_timeline_keeps_the_materials(hub, received):
    app = accepted(hub, received)
    assert app["unit"] == UNIT
    message = "补" * 2500
    after = store.applications.feed_position(hub.db, OUTLET)
    with write(hub.db):
        updated = request_supplement(
            hub, app, actor=OFFICER, role="officer", materials=["PHOTO", "ID-CARD"], message=message
        )
    rows = feed_rows(hub, after)
    assert [(x["kind"], x["application"]) for x in rows] == [
        ("status.changed", app["id"]),
        ("supplement.requested", app["id"]),
    ]
    moved = decoded(rows[0]["body"])
    assert isinstance(moved, r.StatusChanged)
    assert (moved.status, moved.version, moved.unit) == (
        "supplement_requested",
        updated["version"],
        UNIT,
    )
    # No due date while paused, and so nothing provisional about one.
    assert (moved.due_date, moved.due_provisional, moved.note) == (None, False, message[:2000])
    asked = decoded(rows[1]["body"])
    assert isinstance(asked, r.SupplementRequested)
    assert (asked.application, asked.version, asked.at) == (app["id"], updated["version"], MONDAY)
    assert (asked.unit, asked.materials) == (UNIT, ("PHOTO", "ID-CARD"))
    # Cut to the protocol's 2000 characters, which the outlet's decoder enforces.
    assert asked.message == message[:2000] and len(asked.message) == 2000
    # The timeline keeps the whole message and, under "materials", what was asked for.
    step = store.applications.events(hub.db, app["id"])[-1]
    assert (step["action"], step["from_status"], step["to_status"]) == (
        "request_supplement",
        "accepted",
        "supplement_requested",
    )
    assert step["note"] == message
    assert json.loads(step["data"]) == {"materials": ["PHOTO", "ID-CARD"]}
    # The clock stops: an open pause from today, no running due date.
    assert store.applications.pauses(hub.db, app["id"]) == [("2026-11-02", None)]
    stored = row(hub, app["id"])
    assert (stored["sla_state"], stored["due_date"], stored["due_provisional"]) == (
        "paused",
        None,
        0,
    )


# --- refresh_clock ---------------------------------------------------------------------------


def test_a_holiday_loaded_after_acceptance_moves_the_due_date_and_tells_the_outlet(hub, received):
    app = accepted(hub, received)
    assert (app["due_date"], app["due_provisional"], app["sla_state"]) == (DUE, 0, "on_track")
    hub.now_ms = china_ms(2026, 11, 3)
    with write(hub.db):
        load_calendar(hub.db, "date,workday,name\n2026-11-04,0,test\n", year=None, now=hub.now_ms)
    hub.calendar = work_calendar(hub.db)
    after = store.applications.feed_position(hub.db, OUTLET)
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) == "on_track"
    stored = row(hub, app["id"])
    assert (stored["due_date"], stored["due_provisional"]) == ("2026-11-10", 0)
    assert (stored["sla_state"], stored["updated_at"]) == ("on_track", hub.now_ms)
    (told,) = feed_rows(hub, after)
    assert (told["kind"], told["application"]) == ("status.changed", app["id"])
    record = decoded(told["body"])
    assert isinstance(record, r.StatusChanged)
    assert (record.application, record.status, record.version) == (
        app["id"],
        "accepted",
        app["version"],
    )
    assert (record.due_date, record.due_provisional) == ("2026-11-10", False)
    assert record.note == "办结期限已更新"  # Chinese: the outlet shows it as it is
    # Nothing moved since: nothing written, nothing sent.
    hub.now_ms += 60_000
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) is None
    assert row(hub, app["id"]) == stored
    assert len(feed_rows(hub, after)) == 1


def test_a_due_date_that_stops_being_provisional_is_sent_though_the_day_is_the_same(hub, received):
    hub.now_ms = china_ms(2026, 12, 28)  # Monday: the 4th working day is 2027-01-01, unknown
    app = accepted(hub, received)
    assert (app["due_date"], app["due_provisional"]) == ("2027-01-04", 1)
    # The 2027 schedule, loaded: 1 January stays a working day in it (for this test).
    with write(hub.db):
        load_calendar(hub.db, "date,workday,name\n2027-02-10,0,春节\n", year=2027, now=hub.now_ms)
    hub.calendar = work_calendar(hub.db)
    after = store.applications.feed_position(hub.db, OUTLET)
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) == "on_track"
    assert (row(hub, app["id"])["due_date"], row(hub, app["id"])["due_provisional"]) == (
        "2027-01-04",
        0,
    )
    (told,) = feed_rows(hub, after)
    record = decoded(told["body"])
    assert (record.due_date, record.due_provisional) == ("2027-01-04", False)


def test_the_clock_running_down_changes_the_state_without_a_feed_record(hub, received):
    app = accepted(hub, received)
    after = store.applications.feed_position(hub.db, OUTLET)
    for day, state in [((2026, 11, 5), "due_soon"), ((2026, 11, 10), "overdue")]:
        hub.now_ms = china_ms(*day)  # Thursday: 2 working days left; Tuesday after: late
        with write(hub.db):
            assert refresh_clock(hub, row(hub, app["id"])) == state
        stored = row(hub, app["id"])
        assert (stored["sla_state"], stored["updated_at"]) == (state, hub.now_ms)
        assert (stored["due_date"], stored["due_provisional"]) == (DUE, 0)
    # The outlet hears of due dates, not of the department running late.
    assert feed_rows(hub, after) == []
    hub.now_ms += 3_600_000
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) is None
    assert row(hub, app["id"])["updated_at"] == china_ms(2026, 11, 10)


def test_the_hubs_warning_days_decide_when_an_application_is_due_soon(hub, received):
    app = accepted(hub, received)
    hub.now_ms = china_ms(2026, 11, 4)  # Wednesday: Thursday, Friday, Monday left
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) is None  # 3 > the default 2: on track
    hub.warn_days = 3
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) == "due_soon"
    assert row(hub, app["id"])["sla_state"] == "due_soon"


def test_the_hubs_warning_days_apply_from_acceptance(hub, received):
    hub.warn_days = 5  # the whole 5-day limit is within the warning: due soon at once
    assert accepted(hub, received)["sla_state"] == "due_soon"


def test_an_item_withdrawn_before_acceptance_is_due_the_day_it_is_accepted(hub, received):
    app = received()
    without = replace(CAT, items=tuple(i for i in CAT.items if i.code != ITEM))
    with write(hub.db):
        hub.catalogue = publish_catalogue(hub.db, without, now=hub.now_ms, by="test")
    app = act(hub, app, "accept")
    # No promised days to go by: a limit of 0 working days, due on the acceptance day.
    assert (app["limit_days"], app["due_date"], app["due_provisional"]) == (0, "2026-11-02", 0)
    assert app["sla_state"] == "due_soon"


@pytest.mark.parametrize(
    ("day", "state"),
    [((2026, 11, 9), "met"), ((2026, 11, 10), "late")],
    ids=["on-the-due-date", "the-day-after"],
)
def test_a_decision_on_the_due_date_is_on_time_and_one_after_it_is_late(hub, received, day, state):
    app = accepted(hub, received)
    hub.now_ms = china_ms(*day)
    decided = act(hub, app, "approve")
    assert (decided["sla_state"], decided["completed_at"]) == (state, hub.now_ms)


def test_a_status_record_carries_where_the_application_stands(hub, received):
    app = accepted(hub, received)
    record = status_record(hub, app)
    assert (record.application, record.status, record.version, record.at) == (
        app["id"],
        "accepted",
        app["version"],
        MONDAY,
    )
    assert (record.unit, record.due_date, record.due_provisional) == (UNIT, DUE, False)
    assert record.note == ""  # no note unless one is given


def test_an_action_without_a_note_leaves_the_note_empty(hub, received):
    app = received()
    after = store.applications.feed_position(hub.db, OUTLET)
    act(hub, app, "accept")  # no note given
    assert store.applications.events(hub.db, app["id"])[-1]["note"] == ""
    (told,) = feed_rows(hub, after)
    assert decoded(told["body"]).note == ""


def received_only(hub: Hub, received: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return received()


def awaiting_supplement(hub: Hub, received: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    app = accepted(hub, received)
    with write(hub.db):
        request_supplement(hub, app, actor=OFFICER, role="officer", materials=["PHOTO"], message="")
    return row(hub, app["id"])


def decided(hub: Hub, received: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return act(hub, accepted(hub, received), "approve")


@pytest.mark.parametrize(
    ("make", "status", "sla_state"),
    [
        (received_only, "routed", None),  # never accepted: no clock
        (awaiting_supplement, "supplement_requested", "paused"),  # accepted, clock stopped
        (decided, "approved", "met"),  # accepted, then decided: the clock is over
    ],
)
def test_only_a_running_clock_is_refreshed(hub, received, make, status, sla_state):
    app = make(hub, received)
    assert (app["status"], app["sla_state"]) == (status, sla_state)
    hub.now_ms = china_ms(2026, 11, 10)  # past the due date it had, or would have had
    before = snapshot(hub, app["id"])
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) is None
    assert snapshot(hub, app["id"]) == before


def test_while_a_supplement_is_awaited_there_is_no_running_due_date(hub, received):
    # No public function reaches _running_due with a pause open (refresh_clock skips a
    # paused application; "supplement" closes the pause first), so it is asked directly.
    app = awaiting_supplement(hub, received)
    hub.now_ms = china_ms(2026, 11, 4)
    assert _running_due(hub, app) == {"sla_state": "paused"}


# --- errors ------------------------------------------------------------------------------------


def test_a_case_error_is_a_409_case_error_unless_told_otherwise():
    err = CaseError("cannot do that")
    assert (str(err), err.message, err.code, err.status) == (
        "cannot do that",
        "cannot do that",
        "case",
        409,
    )
    other = CaseError("bad input", code="invalid", status=400)
    assert (str(other), other.message, other.code, other.status) == (
        "bad input",
        "bad input",
        "invalid",
        400,
    )
    assert CaseError.status == 409  # an instance's status leaves the class's default alone


@pytest.mark.parametrize(
    ("call", "error", "noun", "known"),
    [
        (lambda: next_state("pending", "approve", "officer"), UnknownState, "state", STATES),
        (lambda: next_state("accepted", "approval", "officer"), UnknownAction, "action", ACTIONS),
        (lambda: next_state("accepted", "approve", "clerk"), UnknownRole, "role", ROLES),
    ],
    ids=["state", "action", "role"],
)
def test_an_unknown_name_is_answered_with_every_known_one(call, error, noun, known):
    with pytest.raises(error) as caught:
        call()
    wrong = {"state": "pending", "action": "approval", "role": "clerk"}[noun]
    assert str(caught.value) == f"unknown {noun} {wrong!r}: expected one of " + ", ".join(known)
    assert getattr(caught.value, noun) == wrong
