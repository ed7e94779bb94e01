"""Every refusal says why (issue 16): ``refuse`` (不予受理) and ``reject`` (不予办理) through the
API of a served hub need a reason from sync/refusals.py; without one nothing changes, with one
the event keeps its code and the outlet's feed record carries its words before the note, in a
record every deployed device decodes (the strict decoder of sync/, as an agent reads a page)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import requests

from hub.catalogue import sample_catalogue
from sync.records import StatusChanged
from sync.refusals import REFUSAL_NOTE_MAX, parse_refusal_note, reasons_for
from tests import factories
from tests.support.device import Device
from tests.support.served import ServedHub

CAT = sample_catalogue()
UNIT = "HRSS-510107"


@pytest.fixture
def setup(hub: ServedHub) -> tuple[Device, Any, requests.Session]:
    """An enrolled outlet device with one application routed to UNIT, and its officer."""
    device = Device(hub.url, hub.clock)
    assert device.enroll(hub.enrolment_code("PO-WUHOU-01"))["ok"]
    assert device.sealing_key is not None
    app = factories.catalogue_application(
        random.Random(1),
        device.sealing_key,
        CAT.item("SS-CARD-APPLY"),
        tag=device.tag,
        seq=1,
        outlet=device.outlet["code"],
        ms=device.clock(),
    )
    device.push([app])
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {hub.user('wang', 'officer', unit=UNIT)}"
    return device, app, api


def act(hub: ServedHub, api: requests.Session, app_id: str, action: str, **body: Any):
    return api.post(
        f"{hub.url}/api/v1/applications/{app_id}/actions",
        json={"action": action, **body},
        timeout=10,
    )


def state(hub: ServedHub, app_id: str) -> tuple[Any, ...]:
    """What a refused request must leave as it was: the row, its events, the feed."""
    db = hub.db()
    try:
        row = db.execute(
            "SELECT status, version, updated_at, completed_at FROM applications WHERE id = ?",
            [app_id],
        ).fetchone()
        events = db.execute(
            "SELECT COUNT(*) FROM events WHERE application = ?", [app_id]
        ).fetchone()
        feed = db.execute("SELECT COUNT(*) FROM feed").fetchone()
        return (tuple(row), tuple(events), tuple(feed))
    finally:
        db.close()


def last_event(hub: ServedHub, app_id: str) -> dict[str, Any]:
    db = hub.db()
    try:
        rows = list(
            db.query(
                "SELECT * FROM events WHERE application = ? ORDER BY id DESC LIMIT 1",
                [app_id],
            )
        )
        return rows[0]
    finally:
        db.close()


def told(device: Device, app_id: str) -> StatusChanged:
    """The outlet's last status record for the application, decoded as the device decodes."""
    records, _ = device.pull_all()
    mine = [x for x in records if isinstance(x, StatusChanged) and x.application == app_id]
    return mine[-1]


REFUSED: list[tuple[dict[str, Any], str, list[str]]] = [
    ({}, "reason", ["refusal.reason_missing"]),
    ({"reason": None, "note": "申请人已在其他网点办理"}, "reason", ["refusal.reason_missing"]),
    ({"reason": "  "}, "reason", ["refusal.reason_missing"]),
    ({"reason": 3}, "reason", ["refusal.reason_missing"]),
    ({"reason": "no_such"}, "reason", ["refusal.reason_unknown"]),
    ({"reason": "materials_incomplete"}, "reason", ["refusal.reason_not_for_action"]),
    ({"reason": "other"}, "note", ["refusal.note_needed"]),
    ({"reason": "other", "note": "不行"}, "note", ["refusal.note_needed"]),
    ({"reason": "not_eligible", "note": "字" * 1990}, "note", ["refusal.note_too_long"]),
    ({"note": "字" * 1990}, "reason", ["refusal.reason_missing", "refusal.note_too_long"]),
]


def test_a_refusal_without_a_reason_is_400_and_changes_nothing(hub, setup):
    _, app, api = setup
    before = state(hub, app.id)
    for body, field, problems in REFUSED:
        answer = act(hub, api, app.id, "refuse", version=2, **body)
        assert answer.status_code == 400, (body, answer.text)
        got = answer.json()
        assert (got["code"], got["field"], got["problems"]) == ("refusal_reason", field, problems)
        assert state(hub, app.id) == before, body


def test_who_may_refuse_from_where_is_said_before_the_reason(hub, setup):
    _, app, api = setup
    # reject is from accepted: the application is routed.
    assert act(hub, api, app.id, "reject").json()["code"] == "illegal_transition"
    operator = requests.Session()
    operator.headers["Authorization"] = f"Bearer {hub.user('li', 'operator')}"
    assert act(hub, operator, app.id, "refuse").json()["code"] == "action_not_allowed"


def test_a_refusal_with_a_reason_tells_the_outlet_its_words(hub, setup):
    device, app, api = setup
    answer = act(hub, api, app.id, "refuse", reason="not_in_remit", note=" 请到区医保局办理 ")
    assert answer.status_code == 200, answer.text
    assert answer.json()["application"]["status"] == "rejected"
    event = last_event(hub, app.id)
    assert (event["action"], json.loads(event["data"])) == ("refuse", {"reason": "not_in_remit"})
    assert event["note"] == "不属于本部门职责范围：请到区医保局办理"  # the timeline's words too
    record = told(device, app.id)
    assert (record.status, record.note) == ("rejected", "不属于本部门职责范围：请到区医保局办理")
    assert parse_refusal_note(record.note) == ("not_in_remit", "请到区医保局办理")
    shown = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
    assert shown["application"]["timeline"][-1]["note"] == record.note


def test_every_reason_to_reject_after_acceptance_reaches_the_outlet(hub, setup):
    device, first, api = setup
    reasons = [r.code for r in reasons_for("reject")]
    assert device.sealing_key is not None
    more = [
        factories.catalogue_application(
            random.Random(n),
            device.sealing_key,
            CAT.item("SS-CARD-APPLY"),
            tag=device.tag,
            seq=n,
            outlet=device.outlet["code"],
            ms=device.clock(),
        )
        for n in range(2, len(reasons) + 1)
    ]
    device.push(more)
    for app, reason in zip([first, *more], reasons, strict=True):
        assert act(hub, api, app.id, "accept").status_code == 200
        note = "申请人名下已有有效社保卡" if reason == "other" else ""
        answer = act(hub, api, app.id, "reject", reason=reason, note=note)
        assert answer.status_code == 200, answer.text
        assert json.loads(last_event(hub, app.id)["data"]) == {"reason": reason}
        assert parse_refusal_note(told(device, app.id).note) == (reason, note)


def test_the_longest_note_a_refusal_takes_travels_whole(hub, setup):
    device, app, api = setup
    note = "字" * REFUSAL_NOTE_MAX
    assert act(hub, api, app.id, "refuse", reason="already_handled", note=note).status_code == 200
    assert told(device, app.id).note == f"已在其他渠道申请或办理：{note}"


def test_other_actions_take_no_reason_and_returning_to_triage_is_no_refusal(hub, setup):
    _, app, api = setup
    # A reason sent with another action is not a refusal's: the note is the officer's alone.
    answer = act(hub, api, app.id, "return_to_triage", note="不是我们的", reason="not_in_remit")
    assert answer.status_code == 200, answer.text
    event = last_event(hub, app.id)
    assert (event["note"], event["data"]) == ("不是我们的", None)


def test_the_refusals_are_exactly_the_workflows_ways_to_rejected():
    """sync/refusals.py names the refusals; the workflow's graph agrees (a new way to refuse
    the citizen must get the rule too)."""
    from hub.workflow import ACTIONS
    from sync.refusals import REFUSAL_ACTIONS

    to_rejected = {a.name for a in ACTIONS.values() if "rejected" in a.moves.values()}
    assert to_rejected == set(REFUSAL_ACTIONS)
