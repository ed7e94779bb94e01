"""The whole loop, with real processes only: `daiban-hub serve` on loopback, two outlets'
`daiban-agent` CLIs, officers and operators over the HTTP API, and the simulated carrier
pushing signed webhooks. Capture offline, sync, route, decide with a supplement round trip,
mail one result to delivery, have one returned and collected instead, hand one over at the
counter, take ratings (one bad, followed up) and check the statistics add up exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.procs import AGENT_BIN, Hub, run

OUTLETS = {
    "PO-WUHOU-01": ("postal", "510107", "HRSS-510107"),
    "TS-JINTANG-01": ("township", "510121", "HRSS-510121"),
}
DELIVERED, RETURNED = "EA123456785CN", "EA000000014CN"


class Agent:
    def __init__(self, home: Path) -> None:
        self.home = home

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        return run(AGENT_BIN, "--home", str(self.home), *args, ok=ok)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def new(self, *extra: str) -> dict[str, str]:
        return self.json(
            "new",
            "--item",
            "SS-CARD-APPLY",
            "--name",
            "张三",
            "--id-number",
            "11010519491231002X",
            "--phone",
            "13812345678",
            "--paper",
            "ID-CARD",
            *extra,
        )

    def sync(self) -> dict[str, Any]:
        return self.json("sync")

    def show(self, app_id: str) -> dict[str, Any]:
        return self.json("show", app_id)


def api(hub: Hub, token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def act(hub: Hub, session: requests.Session, app_id: str, action: str, **body: Any) -> dict:
    response = session.post(
        f"{hub.url}/api/v1/applications/{app_id}/actions",
        json={"action": action, **body},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["application"]


def decide(hub: Hub, officer: requests.Session, app_id: str, **issue: Any) -> dict:
    act(hub, officer, app_id, "accept")
    act(hub, officer, app_id, "approve")
    return act(hub, officer, app_id, "issue_result", **issue)


@pytest.fixture
def world(tmp_path: Path):
    hub = Hub(tmp_path / "hub")
    hub.cli("init")
    tokens = {}
    for code, (kind, region, unit) in OUTLETS.items():
        hub.cli(
            "outlet", "add", code, "--kind", kind, "--name", f"{code} 代办点", "--region", region
        )
        tokens[unit] = hub.cli(
            "user", "add", f"officer-{unit}", "--role", "officer", "--unit", unit
        )["token"]
    tokens["operator"] = hub.cli("user", "add", "ops", "--role", "operator")["token"]
    hub.cli("carrier", "add", "EMS", "--name", "中国邮政EMS")
    agents = {code: Agent(tmp_path / code) for code in OUTLETS}
    hub.start()
    try:
        for code, agent in agents.items():
            enrolment = hub.cli("enroll", code)
            agent.run("enroll", hub.url, enrolment["code"])
        yield hub, agents, tokens
    finally:
        hub.stop()


def test_the_whole_loop(world, tmp_path: Path) -> None:
    hub, agents, tokens = world
    wuhou, jintang = agents["PO-WUHOU-01"], agents["TS-JINTANG-01"]

    # --- capture with the hub down, at both outlets -------------------------------------
    hub.stop()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(20_000))
    mailed = wuhou.new(
        "--material", f"PHOTO={photo}", "--mail-to", "四川省成都市武侯区人民南路四段1号"
    )
    returned = wuhou.new("--paper", "PHOTO", "--mail-to", "四川省成都市武侯区科华北路2号")
    counter = wuhou.new("--paper", "PHOTO", "--pickup")
    promised = jintang.new("--promise", "PHOTO", "--pickup")
    for agent in agents.values():
        assert agent.run("sync", ok=(3,)).returncode == 3  # unreachable: work kept
    assert {a["sync_state"] for a in wuhou.json("list")} == {"queued"}

    hub.start()
    for agent in agents.values():
        assert agent.sync()["ok"] is True
    assert {a["sync_state"] for a in wuhou.json("list")} == {"sent"}
    assert wuhou.show(mailed["id"])["hub_status"] == "routed"

    # --- the departments decide; a supplement round trip at Jintang ---------------------
    wuhou_officer = api(hub, tokens["HRSS-510107"])
    jintang_officer = api(hub, tokens["HRSS-510121"])
    operator = api(hub, tokens["operator"])
    queue = wuhou_officer.get(f"{hub.url}/api/v1/applications", timeout=10).json()
    assert {a["id"] for a in queue["applications"]} == {
        mailed["id"],
        returned["id"],
        counter["id"],
    }
    act(hub, jintang_officer, promised["id"], "accept")
    act(
        hub,
        jintang_officer,
        promised["id"],
        "request_supplement",
        materials=["PHOTO"],
        message="请补交近期免冠照片",
    )
    jintang.sync()
    shown = jintang.show(promised["id"])
    assert shown["hub_status"] == "supplement_requested"
    assert [a["kind"] for a in shown["attention"]] == ["supplement"]
    jintang.run("supplement", promised["id"], "--paper", "PHOTO")
    jintang.sync()
    assert jintang.show(promised["id"])["attention"] == []
    act(hub, jintang_officer, promised["id"], "approve")
    act(hub, jintang_officer, promised["id"], "issue_result")

    issued = decide(hub, wuhou_officer, mailed["id"], carrier="EMS", tracking=DELIVERED)
    assert issued["status"] == "mailed"
    assert decide(hub, wuhou_officer, returned["id"])["status"] == "result_issued"
    shipment = wuhou_officer.post(
        f"{hub.url}/api/v1/applications/{returned['id']}/shipment",
        json={"carrier": "EMS", "tracking": RETURNED},
        timeout=10,
    )
    assert shipment.status_code == 201, shipment.text
    assert decide(hub, wuhou_officer, counter["id"])["status"] == "ready_for_pickup"

    # --- the carrier reports, by signed webhook ------------------------------------------
    for number, outcome in ((DELIVERED, "delivered"), (RETURNED, "returned")):
        hub.cli("carrier", "simulate", "EMS", number, "--outcome", outcome, "--url", hub.url)
    wuhou.sync()
    told = wuhou.show(mailed["id"])
    assert (told["hub_status"], told["tracking"], told["last_mail_event"]) == (
        "delivered",
        DELIVERED,
        "delivered",
    )
    assert any(e["event"] == "mail out_for_delivery" for e in told["timeline"])
    back = wuhou.show(returned["id"])
    assert back["hub_status"] == "returned"
    assert [a["kind"] for a in back["attention"]] == ["returned"]
    # The operator sends it to the outlet instead; the citizen collects both there.
    act(hub, operator, returned["id"], "to_outlet", note="改为网点自取")
    wuhou.sync()
    assert wuhou.show(returned["id"])["attention"] == []
    # A neighbour collects the returned one for the applicant: named, ID checked, sealed.
    refused = wuhou.run("pickup", returned["id"], "--collector", "proxy", ok=(1,))
    assert "代领人" in refused.stderr
    wuhou.run(
        "pickup",
        returned["id"],
        "--collector",
        "proxy",
        "--proxy-name",
        "赵六",
        "--proxy-id-number",
        "11010519491231002X",
    )
    assert "proxy 赵*" in json.dumps(wuhou.show(returned["id"])["timeline"], ensure_ascii=False)
    wuhou.run("pickup", counter["id"])
    jintang.sync()
    assert jintang.show(promised["id"])["hub_status"] == "ready_for_pickup"
    jintang.run("pickup", promised["id"])
    for agent in agents.values():
        agent.sync()

    # --- ratings, one bad and followed up -------------------------------------------------
    wuhou.run("rate", mailed["id"], "very_satisfied")
    wuhou.run("rate", returned["id"], "dissatisfied", "--comment", "邮寄地址被退回，多跑一趟")
    wuhou.run("rate", counter["id"], "satisfied")
    jintang.run("rate", promised["id"], "basic")
    for agent in agents.values():
        report = agent.sync()
        assert report["ok"] is True
    assert wuhou.json("status")["attention"] == []
    followups = operator.get(f"{hub.url}/api/v1/followups", timeout=10).json()["followups"]
    assert [f["application"] for f in followups] == [returned["id"]]
    resolved = operator.post(
        f"{hub.url}/api/v1/followups/{followups[0]['id']}/resolve",
        json={"note": "已电话回访致歉，地址已更正"},
        timeout=10,
    )
    assert resolved.json()["followup"]["state"] == "resolved"

    # --- statistics add up to exactly what happened ----------------------------------------
    by_outlet = operator.get(f"{hub.url}/api/v1/stats", params={"by": "outlet"}, timeout=10)
    rows = {row["key"]: row for row in by_outlet.json()["rows"]}
    figures = (
        "received",
        "completed",
        "on_time",
        "overdue_now",
        "mailed",
        "delivered",
        "returned",
        "ratings",
        "satisfied",
        "bad",
    )
    assert {k: rows["PO-WUHOU-01"][k] for k in figures} == {
        "received": 3,
        "completed": 3,
        "on_time": 3,
        "overdue_now": 0,
        "mailed": 2,
        "delivered": 1,
        "returned": 1,
        "ratings": 3,
        "satisfied": 2,
        "bad": 1,
    }
    assert {k: rows["TS-JINTANG-01"][k] for k in figures} == {
        "received": 1,
        "completed": 1,
        "on_time": 1,
        "overdue_now": 0,
        "mailed": 0,
        "delivered": 0,
        "returned": 0,
        "ratings": 1,
        "satisfied": 1,
        "bad": 0,
    }
    total = by_outlet.json()["total"]
    assert (total["received"], total["ratings"], total["satisfaction_rate"]) == (4, 4, 0.75)
    assert total["on_time_rate"] == 1.0
    by_department = hub.cli("stats", "--by", "department")
    assert [(r["key"], r["received"], r["completed"]) for r in by_department["rows"]] == [
        ("HRSS", 4, 4)
    ]
