"""hub.dashboard.figures on a real hub database: applications put in as a device sends them
and moved as the API moves them, devices heard from long ago or holding a backlog; each
figure of the operator's dashboard checked."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hub import store
from hub.blobs import LocalBlobStore
from hub.cases import Hub, request_supplement, transition
from hub.catalogue import sample_catalogue
from hub.context import work_calendar
from hub.dashboard import STAGES, figures
from hub.ingest import apply_batch
from hub.keys import load_keys
from hub.setup import add_outlet, init_data
from hub.store import open_db, write
from hub.workflow import STATES
from sync.batch import decode_batch, encode_batch, new_batch
from sync.ids import device_tag, uuid7
from tests import factories

CAT = sample_catalogue()
ITEM = "SS-CARD-APPLY"  # routed to HRSS-510107 for region 510107
UNIT = "HRSS-510107"
OUTLET, FAR = "PO-1", "VL-2"
OUTLET_NAME, FAR_NAME = "武侯邮政代办点", "金堂村便民服务站"
TAG, FAR_TAG, GONE_TAG = device_tag(0), device_tag(1), device_tag(2)
DEVICE, FAR_DEVICE, GONE_DEVICE = f"dev-{TAG}", f"dev-{FAR_TAG}", f"dev-{GONE_TAG}"
OFFICER = "wang(officer)"
HOUR = 3_600_000
CHINA = timezone(timedelta(hours=8))


def china_ms(year: int, month: int, day: int, hour: int = 9) -> int:
    return int(datetime(year, month, day, hour, tzinfo=CHINA).timestamp() * 1000)


MONDAY = china_ms(2026, 11, 2)  # no holiday this week
THURSDAY = china_ms(2026, 11, 5, 10)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "hub"
    init_data(root, CAT, now=MONDAY)
    db = open_db(root / "hub.db", migrate=False)
    with write(db):
        add_outlet(db, code=OUTLET, kind="postal", name=OUTLET_NAME, region="510107", now=MONDAY)
        add_outlet(db, code=FAR, kind="village", name=FAR_NAME, region="510121", now=MONDAY)
        for number, (device, tag, outlet) in enumerate(
            [(DEVICE, TAG, OUTLET), (FAR_DEVICE, FAR_TAG, FAR), (GONE_DEVICE, GONE_TAG, FAR)]
        ):
            store.devices.add_device(
                db,
                device_id=device,
                outlet=outlet,
                number=number,
                tag=tag,
                public_key=f"key-{number}",
                label="",
                now=MONDAY,
            )
    db.close()
    return root


@pytest.fixture
def hub(data: Path) -> Iterator[Hub]:
    db = open_db(data / "hub.db", migrate=False)
    yield Hub(db=db, catalogue=CAT, calendar=work_calendar(db), now_ms=MONDAY)
    db.close()


@pytest.fixture
def put_in(data: Path) -> Callable[[Hub], dict[str, Any]]:
    """An application received from PO-1's device at the hub's time; routed to UNIT."""
    sealing = load_keys(data / "keys").sealing.public_key()
    blobs = LocalBlobStore(data / "blobs")
    seqs = itertools.count(1)

    def received(hub: Hub) -> dict[str, Any]:
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
        found = store.applications.get_application(hub.db, record.id)
        assert found is not None and found["status"] == "routed"
        return found

    return received


def act(hub: Hub, app: dict[str, Any], action: str, role: str = "officer") -> dict[str, Any]:
    with write(hub.db):
        current = store.applications.get_application(hub.db, app["id"])
        assert current is not None
        return transition(hub, current, action, role=role, actor=OFFICER)


@pytest.fixture
def board(hub: Hub, put_in: Callable[[Hub], dict[str, Any]]) -> dict[str, Any]:
    """Monday: four applications in; one stays routed, one is accepted, one waits for a
    supplement, one goes back to triage. Thursday: one more comes in; PO-1's device was last
    heard from on Monday, VL-2's an hour ago with 4 records unsent; a third is revoked."""
    routed = put_in(hub)
    accepted = act(hub, put_in(hub), "accept")
    waiting = act(hub, put_in(hub), "accept")
    with write(hub.db):
        request_supplement(
            hub, waiting, actor=OFFICER, role="officer", materials=["PHOTO"], message="照片模糊"
        )
    triaged = act(hub, put_in(hub), "return_to_triage", role="operator")
    later = replace(hub, now_ms=THURSDAY)
    today = put_in(later)
    with write(hub.db):
        store.devices.seen(hub.db, DEVICE, now=MONDAY, heartbeat={"unsent": 0})
        store.devices.seen(hub.db, FAR_DEVICE, now=THURSDAY - HOUR, heartbeat={"unsent": 4})
        store.devices.revoke_device(hub.db, GONE_DEVICE, reason="丢失", now=MONDAY)
        # The sweep's verdict on the running clock, as it would write it.
        hub.db.execute(
            "UPDATE applications SET sla_state = 'overdue' WHERE id = ?", [accepted["id"]]
        )
    ids = {"routed": routed, "accepted": accepted, "waiting": waiting, "triaged": triaged}
    return {"figures": figures(later, silent_hours=24), "ids": ids, "today": today}


def test_the_time_and_the_day_of_the_figures(board):
    f = board["figures"]
    assert f["computed_at"] == THURSDAY and f["today"] == "2026-11-05"


def test_todays_intake_counts_only_the_china_day(board):
    assert board["figures"]["received_today"] == 1


def test_supplements_pending_and_the_age_of_the_oldest_in_working_days(board):
    supplements = board["figures"]["supplements"]
    assert supplements["count"] == 1
    oldest = supplements["oldest"]
    assert oldest["id"] == board["ids"]["waiting"]["id"]
    assert oldest["since_day"] == "2026-11-02"
    # Tuesday, Wednesday, Thursday: three working days, three calendar days.
    assert (oldest["working_days"], oldest["days"], oldest["provisional"]) == (3, 3, False)


def test_the_oldest_waiting_item_per_stage(board):
    waiting = {w["status"]: w for w in board["figures"]["waiting"]}
    assert list(waiting) == list(STAGES) == ["triage", "routed", "accepted"]
    assert waiting["triage"]["count"] == 1
    assert waiting["triage"]["oldest"]["id"] == board["ids"]["triaged"]["id"]
    assert waiting["routed"]["count"] == 2  # Monday's and Thursday's; Monday's is the oldest
    assert waiting["routed"]["oldest"]["id"] == board["ids"]["routed"]["id"]
    assert waiting["routed"]["oldest"]["outlet_name"] == OUTLET_NAME
    assert waiting["accepted"]["count"] == 1
    assert waiting["accepted"]["oldest"]["id"] == board["ids"]["accepted"]["id"]
    assert waiting["accepted"]["oldest"]["working_days"] == 3


def test_overdue_and_due_soon(board):
    f = board["figures"]
    assert (f["overdue"], f["due_soon"]) == (1, 0)


def test_devices_silent_or_with_a_backlog_and_the_outlet_that_stopped(board):
    sync = board["figures"]["sync"]
    devices = {d["id"]: d for d in sync["devices"]}
    assert set(devices) == {DEVICE, FAR_DEVICE}  # the revoked one is not listed
    assert devices[DEVICE]["silent"] and not devices[DEVICE]["backlog"]
    assert not devices[FAR_DEVICE]["silent"] and devices[FAR_DEVICE]["backlog"] == 4
    assert devices[FAR_DEVICE]["outlet_name"] == FAR_NAME
    assert (sync["silent_devices"], sync["backlog_devices"], sync["unsent"]) == (1, 1, 4)
    assert [(o["code"], o["name"], o["last_seen_at"]) for o in sync["silent_outlets"]] == [
        (OUTLET, OUTLET_NAME, MONDAY)
    ]


def test_a_device_heard_from_within_the_threshold_is_not_silent(hub, board):
    longer = figures(replace(hub, now_ms=THURSDAY), silent_hours=24 * 7)
    assert [d["id"] for d in longer["sync"]["devices"]] == [FAR_DEVICE]  # backlog only
    assert longer["sync"]["silent_outlets"] == []


def test_the_unit_by_state_table_has_every_state_and_totals(board):
    queue = board["figures"]["queue"]
    assert queue["states"] == list(STATES)
    rows = {r["unit"]: r for r in queue["rows"]}
    assert [r["unit"] for r in queue["rows"]] == ["", UNIT]  # triage first
    assert list(rows[UNIT]["counts"]) == list(STATES)  # zeros included, workflow order
    assert rows[""]["counts"]["triage"] == 1 and rows[""]["total"] == 1
    unit = rows[UNIT]["counts"]
    assert (unit["routed"], unit["accepted"], unit["supplement_requested"]) == (2, 1, 1)
    assert unit["closed"] == 0 and rows[UNIT]["total"] == 4
    assert queue["totals"]["routed"] == 2 and queue["totals"]["triage"] == 1
    assert queue["total"] == 5 == sum(queue["totals"].values())
    assert rows[UNIT]["name"] == CAT.units()[UNIT]


def test_outlets_by_name(board):
    assert board["figures"]["outlets"] == {OUTLET: OUTLET_NAME, FAR: FAR_NAME}
