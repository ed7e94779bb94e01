"""A department's refusal reaches the outlet's laptop with its reason (issue 16): a real agent
syncing with a served hub keeps the refusal's note on the application, also after it moves
on and after a resync, and words it for staff to read out (agent/refusals.py)."""

from __future__ import annotations

from typing import Any

import requests

from agent.refusals import NO_REASON, refusal, refusal_words
from agent.store import local, write
from tests.agent.conftest import Agent
from tests.agent.test_e2e_agent import new_app, sync
from tests.support.served import ServedHub


def officer(hub: ServedHub) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hub.user('o-refuse', 'officer', 'HRSS-510107')}"
    return session


def act(hub: ServedHub, api: requests.Session, app_id: str, action: str, **body: Any) -> None:
    url = f"{hub.url}/api/v1/applications/{app_id}/actions"
    answer = api.post(url, json={"action": action, **body}, timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_agent_ends_up_with_the_refusals_words(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    refused, rejected, fine = (new_app(agent, tmp_path, i) for i in range(3))
    sync(agent)
    api = officer(hub)
    act(hub, api, refused["id"], "refuse", reason="not_in_remit", note="请到区医保局办理")
    act(hub, api, rejected["id"], "accept")
    act(hub, api, rejected["id"], "reject", reason="other", note="申请人名下已有有效社保卡")
    act(hub, api, fine["id"], "accept")
    sync(agent)

    app = agent.application(refused["id"])
    assert app["hub_status"] == "rejected"
    assert app["refusal"] == "不属于本部门职责范围：请到区医保局办理"
    assert refusal(app) == ("not_in_remit", "请到区医保局办理", app["refusal"])
    assert refusal_words(app) == "不属于本部门职责范围：请到区医保局办理"
    assert refusal_words(app, "en") == "Not within this department's remit: 请到区医保局办理"
    other = agent.application(rejected["id"])
    assert refusal_words(other) == "其他原因：申请人名下已有有效社保卡"
    assert refusal_words(other, "en") == "Another reason: 申请人名下已有有效社保卡"
    assert refusal_words(agent.application(fine["id"])) is None
    # The timeline says it too, as before.
    lines = [e for e in local.timeline(agent.db, refused["id"]) if e["event"] == "rejected"]
    assert "不属于本部门职责范围：请到区医保局办理" in lines[-1]["detail"]

    # The written refusal is issued and waits at the outlet: the reason stays.
    act(hub, api, refused["id"], "issue_result")
    sync(agent)
    app = agent.application(refused["id"])
    assert app["hub_status"] == "ready_for_pickup"
    assert refusal_words(app) == "不属于本部门职责范围：请到区医保局办理"

    # A drifted view rebuilt from the feed keeps it as well.
    agent.db.execute("UPDATE hub_versions SET version = 99")
    agent.db.conn.commit()
    assert sync(agent).resynced
    assert agent.application(refused["id"])["refusal"] == "不属于本部门职责范围：请到区医保局办理"
    assert agent.application(fine["id"])["refusal"] is None


def test_a_refusal_from_a_hub_older_than_the_rule_says_no_reason_was_given(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    made = new_app(agent, tmp_path)
    with write(agent.db):
        local.update_application(agent.db, made["id"], hub_status="rejected", refusal="")
    app = agent.application(made["id"])
    assert refusal_words(app) == NO_REASON["zh"] and refusal_words(app, "en") == NO_REASON["en"]
    with write(agent.db):
        local.update_application(agent.db, made["id"], refusal="申请人已在其他网点办理")
    assert refusal_words(agent.application(made["id"]), "en") == "申请人已在其他网点办理"


def test_a_correction_sent_after_the_refusal_keeps_the_departments_reason(hub, tmp_path):
    """The hub answers a correction of a refused application with a status record that
    still says rejected, with its own note: the outlet keeps the department's reason."""
    from agent import capture

    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    refused = new_app(agent, tmp_path, 0)
    sync(agent)
    act(hub, officer(hub), refused["id"], "refuse", reason="not_in_remit", note="请到区医保局办理")
    sync(agent)
    with write(agent.db):
        capture.amend(
            agent.db,
            agent.home,
            refused["id"],
            staff="clerk",
            reason="correction",
            scans={},
            paper=["ID-CARD"],
            note="更正联系电话",
            now_ms=agent.hub.clock(),
        )
    sync(agent)
    app = agent.application(refused["id"])
    assert app["hub_status"] == "rejected" and app["hub_version"] > 3
    assert refusal_words(app) == "不属于本部门职责范围：请到区医保局办理"
