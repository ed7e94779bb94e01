"""The promised time limit (时限) as hub.cases moves an application, on a real hub database.

An application is put in as an outlet's device sends it (``ingest.apply_batch``, which routes
it to a unit), then moved with ``cases.transition`` and ``cases.request_supplement`` under a
``Hub`` whose clock the test sets. Dates are China's: the 2026 National Day holiday runs
1-7 October with Saturday 10 October worked, and 2027's schedule is not known to the calendar
package, so a due date reaching into it is provisional.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import sqlite3
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
    refresh_clock,
    request_supplement,
    status_record,
    transition,
)
from hub.catalogue import sample_catalogue
from hub.context import work_calendar
from hub.ingest import apply_batch
from hub.keys import load_keys
from hub.setup import add_outlet, init_data, publish_catalogue
from hub.store import open_db, write
from sync import records as r
from sync.batch import decode_batch, encode_batch, new_batch
from sync.codec import canonical
from sync.ids import device_tag, uuid7, uuid7_time_ms
from tests import factories

CAT = sample_catalogue()
# Three items of the same department, all routed to UNIT for region 510107.
ON_THE_SPOT = "SS-CARD-ACT"  # promised in 0 working days (即办件)
ONE_DAY = "SS-RES-PENSION-REG"  # 1 working day
FIVE_DAYS = "SS-CARD-APPLY"  # 5 working days
UNIT = "HRSS-510107"
OUTLET = "PO-1"
TAG = device_tag(0)
DEVICE = f"dev-{TAG}"
OFFICER = "li(officer)"


def china_ms(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> int:
    china = timezone(timedelta(hours=8))
    return int(datetime(year, month, day, hour, minute, tzinfo=china).timestamp() * 1000)


MONDAY = china_ms(2026, 11, 2)  # a FIVE_DAYS application accepted now is due Monday 2026-11-09


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised data folder for the module (init costs ~0.25 s, a copy milliseconds)."""
    root = tmp_path_factory.mktemp("sla") / "hub"
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
    """The hub's case machinery on the copied data folder; tests set ``now_ms`` as they go."""
    db = open_db(data / "hub.db", migrate=False)
    yield Hub(db=db, catalogue=CAT, calendar=work_calendar(db), now_ms=MONDAY)
    db.close()


Receive = Callable[[str], dict[str, Any]]
Push = Callable[[r.UplinkRecord], None]


@pytest.fixture
def push(hub: Hub, data: Path) -> Push:
    """Apply one record as the outlet's device sends it, in a batch of its own, sent now."""
    blobs = LocalBlobStore(data / "blobs")
    seqs = itertools.count(1)

    def send(record: r.UplinkRecord) -> None:
        seq = next(seqs)
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
        assert [x.status for x in result.ack.results] == ["accepted"], result.ack

    return send


@pytest.fixture
def receive(hub: Hub, data: Path, push: Push) -> Receive:
    """Put in an application for an item, captured and sent now; it arrives routed to UNIT."""
    sealing = load_keys(data / "keys").sealing.public_key()
    seqs = itertools.count(1)

    def put_in(item: str) -> dict[str, Any]:
        seq = next(seqs)
        record = factories.catalogue_application(
            random.Random(seq),
            sealing,
            CAT.item(item),
            tag=TAG,
            seq=seq,
            outlet=OUTLET,
            ms=hub.now_ms,
            scans=False,
        )
        push(record)
        app = row(hub, record.id)
        assert (app["status"], app["unit"], app["due_date"]) == ("routed", UNIT, None)
        return app

    return put_in


def row(hub: Hub, app_id: str) -> dict[str, Any]:
    found = store.applications.get_application(hub.db, app_id)
    assert found is not None
    return found


def act(hub: Hub, app: dict[str, Any], action: str, *, role: str = "officer") -> dict[str, Any]:
    """A workflow action on the stored row, in one write as the API does; the stored result."""
    with write(hub.db):
        refusing = action in ("refuse", "reject")  # a refusal says why (sync/refusals.py)
        reason = "not_eligible" if refusing else None
        transition(hub, row(hub, app["id"]), action, role=role, actor=OFFICER, reason=reason)
    return row(hub, app["id"])


def told(hub: Hub, app_id: str) -> r.StatusChanged:
    """The last status record in the outlet's feed, decoded as the outlet decodes it."""
    bodies = hub.db.execute(
        "SELECT body FROM feed WHERE outlet = ? AND application = ? AND kind = 'status.changed'"
        " ORDER BY seq",
        [OUTLET, app_id],
    ).fetchall()
    record = msgspec.json.decode(bodies[-1][0], type=r.DownlinkRecord)
    assert isinstance(record, r.StatusChanged)
    return record


# --- acceptance starts the clock ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "limit", "due", "state"),
    [
        (ON_THE_SPOT, 0, "2026-09-30", "due_soon"),  # done on the spot: due the same day
        (ONE_DAY, 1, "2026-10-08", "due_soon"),  # the first working day after the holiday
        (FIVE_DAYS, 5, "2026-10-13", "on_track"),  # 8, 9, Saturday 10 (worked), 12, 13
    ],
    ids=["0-days", "1-day", "5-days"],
)
def test_acceptance_gives_the_items_promised_working_days(hub, receive, item, limit, due, state):
    hub.now_ms = china_ms(2026, 9, 30)  # Wednesday, the day before National Day
    app = act(hub, receive(item), "accept")
    assert (app["status"], app["accepted_on"], app["limit_days"]) == (
        "accepted",
        "2026-09-30",
        limit,
    )
    assert (app["due_date"], app["due_provisional"], app["sla_state"]) == (due, 0, state)
    assert (told(hub, app["id"]).due_date, told(hub, app["id"]).due_provisional) == (due, False)


def test_an_application_whose_item_left_the_catalogue_is_due_the_day_it_is_accepted(hub, receive):
    hub.now_ms = china_ms(2026, 11, 5)  # Thursday: captured under the old catalogue
    app = receive(FIVE_DAYS)
    without = replace(CAT, items=tuple(i for i in CAT.items if i.code != FIVE_DAYS))
    with write(hub.db):
        hub.catalogue = publish_catalogue(hub.db, without, now=hub.now_ms, by="test")
    assert hub.catalogue.item(FIVE_DAYS) is None
    hub.now_ms = china_ms(2026, 11, 6)  # Friday: a 1-day limit would be due on Monday
    app = act(hub, app, "accept")
    # No promised days to go by: a limit of 0 working days, due on the acceptance day.
    assert (app["accepted_on"], app["limit_days"]) == ("2026-11-06", 0)
    assert (app["due_date"], app["due_provisional"], app["sla_state"]) == (
        "2026-11-06",
        0,
        "due_soon",
    )
    assert told(hub, app["id"]).due_date == "2026-11-06"


@pytest.mark.parametrize(
    ("item", "warn_days", "state"),
    [
        (ONE_DAY, 0, "on_track"),  # 1 day left, warned only on the due date itself
        (FIVE_DAYS, 4, "on_track"),  # 5 days left, warned from 4
        (FIVE_DAYS, 5, "due_soon"),  # the whole limit is within the warning
    ],
)
def test_the_hubs_warning_days_decide_the_state_given_at_acceptance(
    hub, receive, item, warn_days, state
):
    hub.warn_days = warn_days
    assert act(hub, receive(item), "accept")["sla_state"] == state


# --- a supplement request stops it -------------------------------------------------------------


def test_a_supplement_request_stops_the_clock_and_drops_a_provisional_due_date(hub, receive):
    hub.now_ms = china_ms(2026, 12, 28)  # Monday: 5 working days reach into 2027, not known yet
    app = act(hub, receive(FIVE_DAYS), "accept")
    assert (app["due_date"], app["due_provisional"]) == ("2027-01-04", 1)
    hub.now_ms = china_ms(2026, 12, 29)
    with write(hub.db):
        request_supplement(
            hub, app, actor=OFFICER, role="officer", materials=["PHOTO"], message="请补交照片"
        )
    stored = row(hub, app["id"])
    assert stored["status"] == "supplement_requested"
    # No running due date while the citizen is asked, so nothing provisional about one.
    assert (stored["sla_state"], stored["due_date"], stored["due_provisional"]) == (
        "paused",
        None,
        0,
    )
    # What was promised is kept for when the clock runs again.
    assert (stored["accepted_on"], stored["limit_days"]) == ("2026-12-28", 5)
    outlet_sees = told(hub, app["id"])
    assert (outlet_sees.status, outlet_sees.due_date, outlet_sees.due_provisional) == (
        "supplement_requested",
        None,
        False,
    )
    assert outlet_sees.note == "请补交照片"


def ask(hub: Hub, app: dict[str, Any], message: str = "请补交照片") -> dict[str, Any]:
    """The unit's officer asks for a supplement now; the stored result."""
    with write(hub.db):
        request_supplement(
            hub,
            row(hub, app["id"]),
            actor=OFFICER,
            role="officer",
            materials=["PHOTO"],
            message=message,
        )
    return row(hub, app["id"])


def supply(hub: Hub, push: Push, app: dict[str, Any]) -> dict[str, Any]:
    """The outlet's supplement arrives now, amending the version it was asked at."""
    push(
        r.ApplicationAmend(
            id=uuid7(hub.now_ms, os.urandom(10)),
            application=app["id"],
            base_version=row(hub, app["id"])["version"],
            reason="supplement",
            staff="clerk-01",
            captured_at=hub.now_ms,
            materials=(r.MaterialProvided(code="PHOTO"),),
        )
    )
    return row(hub, app["id"])


def supplements_asked(hub: Hub, app_id: str) -> list[r.SupplementRequested]:
    """The supplement requests in the outlet's feed, decoded as the outlet decodes them."""
    bodies = hub.db.execute(
        "SELECT body FROM feed WHERE outlet = ? AND application = ?"
        " AND kind = 'supplement.requested' ORDER BY seq",
        [OUTLET, app_id],
    ).fetchall()
    found = [msgspec.json.decode(body, type=r.DownlinkRecord) for (body,) in bodies]
    assert all(isinstance(x, r.SupplementRequested) for x in found)
    return found  # type: ignore[return-value]


TUESDAY = china_ms(2026, 11, 3)


def test_asking_again_the_day_the_supplement_arrived_stops_the_clock_again(hub, receive, push):
    app = act(hub, receive(FIVE_DAYS), "accept")  # Monday 2026-11-02: due Monday 11-09
    assert app["due_date"] == "2026-11-09"
    hub.now_ms = TUESDAY  # 09:00: one working day used (11-03)
    ask(hub, app)
    hub.now_ms = TUESDAY + 3_600_000  # 10:00: the photo arrives, the clock runs again
    resumed = supply(hub, push, app)
    # 4 days left from Tuesday: 04, 05, 06 and Monday 09, as before the request.
    assert (resumed["status"], resumed["due_date"]) == ("accepted", "2026-11-09")
    hub.now_ms = TUESDAY + 2 * 3_600_000  # 11:00, the same day: the photo is blurred
    again = ask(hub, app, "照片不清晰，请重新提交")
    assert (again["status"], again["sla_state"], again["due_date"]) == (
        "supplement_requested",
        "paused",
        None,
    )
    # The second pause is kept beside the first one of the same day, and is open.
    assert store.applications.pauses(hub.db, app["id"]) == [
        ("2026-11-03", "2026-11-03"),
        ("2026-11-03", None),
    ]
    # Through Wednesday to Friday the clock stands still: 04, 05 and 06 are not used.
    hub.now_ms = china_ms(2026, 11, 6, 15)
    done = supply(hub, push, app)
    # 4 working days left after Friday 11-06: 09, 10, 11, 12 (it would be 11-09 if the
    # second pause had not stopped the clock).
    assert (done["status"], done["sla_state"], done["due_date"]) == (
        "accepted",
        "on_track",
        "2026-11-12",
    )
    assert store.applications.pauses(hub.db, app["id"]) == [
        ("2026-11-03", "2026-11-03"),
        ("2026-11-03", "2026-11-06"),
    ]
    assert (told(hub, app["id"]).status, told(hub, app["id"]).due_date) == (
        "accepted",
        "2026-11-12",
    )
    # A sweep finds nothing to correct.
    with write(hub.db):
        assert refresh_clock(hub, row(hub, app["id"])) is None


def test_any_number_of_pauses_may_start_on_one_day(hub, receive, push):
    app = act(hub, receive(FIVE_DAYS), "accept")
    for hour in (9, 11, 13):
        hub.now_ms = china_ms(2026, 11, 3, hour)
        assert ask(hub, app)["sla_state"] == "paused"
        hub.now_ms = china_ms(2026, 11, 3, hour + 1)
        assert supply(hub, push, app)["due_date"] == "2026-11-09"
    hub.now_ms = china_ms(2026, 11, 3, 16)
    ask(hub, app)
    hub.now_ms = china_ms(2026, 11, 9, 10)  # Monday: Wednesday to Friday did not count
    assert supply(hub, push, app)["due_date"] == "2026-11-13"
    assert len(store.applications.pauses(hub.db, app["id"])) == 4
    assert len(supplements_asked(hub, app["id"])) == 4


def test_the_same_request_sent_again_opens_no_second_pause(hub, receive):
    app = act(hub, receive(FIVE_DAYS), "accept")
    hub.now_ms = TUESDAY
    ask(hub, app)
    # The request sent again (the API reads the application afresh in its write) is refused.
    with pytest.raises(CaseError) as twice, write(hub.db):
        request_supplement(
            hub, row(hub, app["id"]), actor=OFFICER, role="officer", materials=["PHOTO"], message=""
        )
    assert twice.value.code == "illegal_transition"
    assert store.applications.pauses(hub.db, app["id"]) == [("2026-11-03", None)]
    assert len(supplements_asked(hub, app["id"])) == 1
    # In the store, a pause is its request's: the same event opens it once.
    (event,) = [
        e["id"]
        for e in store.applications.events(hub.db, app["id"])
        if e["action"] == "request_supplement"
    ]
    with write(hub.db):
        store.applications.open_pause(hub.db, app["id"], opened_by=event, started_on="2026-11-03")
        store.applications.open_pause(hub.db, app["id"], opened_by=event, started_on="2026-11-04")
    assert store.applications.pauses(hub.db, app["id"]) == [("2026-11-03", None)]
    # Another event while the pause is open is an error, not a pause silently dropped.
    with pytest.raises(sqlite3.IntegrityError), write(hub.db):
        store.applications.open_pause(
            hub.db, app["id"], opened_by=event - 1, started_on="2026-11-03"
        )
    assert store.applications.pauses(hub.db, app["id"]) == [("2026-11-03", None)]


def test_the_supplement_request_names_the_unit_that_asks(hub, receive):
    app = act(hub, receive(FIVE_DAYS), "accept")
    ask(hub, app)
    (asked,) = supplements_asked(hub, app["id"])
    assert (asked.application, asked.unit, asked.materials) == (app["id"], UNIT, ("PHOTO",))


def test_an_application_no_unit_holds_cannot_be_asked_for_a_supplement(hub, receive):
    # The API routes only to a unit; a direct caller of transition may route without one.
    app = act(hub, receive(FIVE_DAYS), "return_to_triage", role="operator")
    app = act(hub, app, "route", role="operator")
    app = act(hub, app, "accept")
    assert (app["status"], app["unit"]) == ("accepted", None)
    feed_before = hub.db.execute("SELECT COUNT(*) FROM feed").fetchone()[0]
    hub.now_ms = TUESDAY
    with pytest.raises(CaseError) as refused, write(hub.db):
        request_supplement(hub, app, actor=OFFICER, role="officer", materials=["PHOTO"], message="")
    assert (refused.value.code, refused.value.status) == ("illegal_transition", 409)
    assert "route it to a unit first" in str(refused.value)
    # Nothing changed and the outlet was sent nothing: no record with an empty unit, which
    # the protocol's unit code (and the outlet's decoder) refuses.
    assert row(hub, app["id"]) == app
    assert store.applications.pauses(hub.db, app["id"]) == []
    assert hub.db.execute("SELECT COUNT(*) FROM feed").fetchone()[0] == feed_before
    # Who may ask, and from which state, are still said first.
    with pytest.raises(CaseError) as operator:
        request_supplement(
            hub, app, actor="op(operator)", role="operator", materials=["PHOTO"], message=""
        )
    assert operator.value.code == "action_not_allowed"


# --- a decision ends it ------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize(
    ("decided_at", "state"),
    [
        (china_ms(2026, 11, 6, 17), "met"),  # the Friday before the due date
        (china_ms(2026, 11, 9, 0, 0), "met"),  # the first minute of the due date
        (china_ms(2026, 11, 9, 23, 59), "met"),  # its last minute, in China
        (china_ms(2026, 11, 10, 0, 0), "late"),  # the first minute after it
    ],
    ids=["before", "due-date-starts", "due-date-ends", "day-after"],
)
def test_a_decision_by_the_end_of_the_due_date_meets_the_limit(
    hub, receive, action, decided_at, state
):
    app = act(hub, receive(FIVE_DAYS), "accept")
    assert app["due_date"] == "2026-11-09"
    hub.now_ms = decided_at + 12_345  # not a round number: completed_at is the hub's clock
    decided = act(hub, app, action)
    assert (decided["sla_state"], decided["completed_at"]) == (state, hub.now_ms)
    assert decided["due_date"] == "2026-11-09"  # the decision does not move the due date


def test_refusing_an_application_before_acceptance_completes_it_without_a_verdict(hub, receive):
    app = receive(FIVE_DAYS)
    hub.now_ms = MONDAY + 60_000
    refused = act(hub, app, "refuse")
    assert (refused["status"], refused["completed_at"]) == ("rejected", hub.now_ms)
    # The clock never ran: neither met nor late.
    assert (refused["sla_state"], refused["due_date"]) == (None, None)


# --- what the outlet is told -------------------------------------------------------------------


def test_a_status_record_carries_where_the_application_stands(hub, receive):
    hub.now_ms = china_ms(2026, 12, 28)
    app = act(hub, receive(FIVE_DAYS), "accept")  # provisional due date 2027-01-04
    hub.now_ms = china_ms(2026, 12, 28, 15, 30) + 7
    note = "".join(str(i % 10) for i in range(2500))
    record = status_record(hub, app, note=note)
    assert uuid7_time_ms(record.id) == hub.now_ms  # a fresh record id, made now
    assert record.id != told(hub, app["id"]).id
    assert (record.application, record.status, record.version, record.at) == (
        app["id"],
        "accepted",
        app["version"],
        hub.now_ms,
    )
    assert (record.unit, record.due_date, record.due_provisional) == (UNIT, "2027-01-04", True)
    # Cut to the protocol's 2000 characters, which the outlet's decoder enforces.
    assert record.note == note[:2000]
    assert msgspec.json.decode(canonical(record), type=r.DownlinkRecord) == record
    assert status_record(hub, app).note == ""


# --- errors ------------------------------------------------------------------------------------


def test_a_case_error_says_its_message_with_a_stable_code_and_an_http_status():
    plain = CaseError("cannot do that")
    assert (str(plain), plain.args, plain.message) == (
        "cannot do that",
        ("cannot do that",),
        "cannot do that",
    )
    assert (plain.code, plain.status) == ("case", 409)
    told_otherwise = CaseError("bad input", code="invalid", status=400)
    assert (str(told_otherwise), told_otherwise.code, told_otherwise.status) == (
        "bad input",
        "invalid",
        400,
    )
    assert isinstance(plain, ValueError)


def test_a_move_the_workflow_forbids_is_a_case_error_naming_why(hub, receive):
    app = receive(FIVE_DAYS)
    with pytest.raises(CaseError) as illegal:
        act(hub, app, "approve")  # not accepted yet
    assert (str(illegal.value), illegal.value.code, illegal.value.status) == (
        "cannot approve an application that is routed: allowed from accepted",
        "illegal_transition",
        409,
    )
    with pytest.raises(CaseError) as forbidden:
        act(hub, app, "accept", role="outlet")
    assert (str(forbidden.value), forbidden.value.code, forbidden.value.status) == (
        "the outlet role may not accept: only officer may",
        "action_not_allowed",
        403,
    )
    assert row(hub, app["id"]) == app  # nothing changed
