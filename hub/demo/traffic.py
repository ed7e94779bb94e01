"""``make run`` with ``--demo``: sample traffic through the real programs, once.

Five applications are captured on the local agent by clerk-01 and synced; the officer of
武侯区人社局 takes each one to another step over the API, so the pages show the whole range:

1. 李秀英, 社保卡申领, by mail: approved, posted with EMS, delivered (the simulated carrier
   reports it over the signed webhook);
2. 王建国, 社保卡申领, by mail: approved, posted, returned to sender (in the operator's
   returned-mail list);
3. 张丽, 社保卡启用, pickup: approved, the result waiting at the outlet for its hand-over;
4. 刘洋, 社保卡申领, pickup: accepted, then a photo asked for (待补正: the clock is paused
   and the outlet's pages show what to supply);
5. 陈静, 社保卡启用, pickup: rejected (不予办理) with the reason, the notice waiting at the
   outlet.

The agent syncs again at the end, so its pages show the whole story.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import requests
from stdnum.iso7064 import mod_11_2

from hub.demo.programs import run, tool

# (name, birth date + sequence, item, delivery, what happens at the department).
PEOPLE = (
    ("李秀英", "19650312042", "SS-CARD-APPLY", "mail", "delivered"),
    ("王建国", "19580820031", "SS-CARD-APPLY", "mail", "returned"),
    ("张丽", "19900105066", "SS-CARD-ACT", "pickup", "ready_for_pickup"),
    ("刘洋", "19881117015", "SS-CARD-APPLY", "pickup", "supplement_requested"),
    ("陈静", "19951230028", "SS-CARD-ACT", "pickup", "rejected"),
)
# The officer's actions for each fate, in order.
APPROVED = [
    {"action": "accept", "note": "材料齐全，予以受理"},
    {"action": "approve"},
    {"action": "issue_result"},
]
ACTIONS: dict[str, list[dict]] = {
    "delivered": APPROVED,
    "returned": APPROVED,
    "ready_for_pickup": APPROVED,
    "supplement_requested": [
        {"action": "accept"},
        {
            "action": "request_supplement",
            "materials": ["PHOTO"],
            "message": "请补交近期免冠白底证件照",
        },
    ],
    "rejected": [
        {"action": "accept"},
        {
            "action": "reject",
            "reason": "not_eligible",
            "note": "申请人已持有有效社保卡，无需重复启用",
        },
        {"action": "issue_result", "note": "不予办理告知书"},
    ],
}
ADDRESS = "四川省成都市武侯区人民南路四段{n}号"
TRACKING = {"delivered": "EA123456785CN", "returned": "EA000000014CN"}
MATERIALS = {"SS-CARD-APPLY": ("ID-CARD", "PHOTO"), "SS-CARD-ACT": ("ID-CARD", "SS-CARD")}


def _id_number(born: str) -> str:
    body = "510107" + born
    return body + mod_11_2.calc_check_digit(body)  # GB 11643, as sync.validators checks


def add_traffic(data: Path, url: str, users: dict) -> str:
    """Run the sample traffic; a one-line summary of what was made."""
    agent = [tool("daiban-agent"), "--home", str(data / "agent")]
    hub = [tool("daiban-hub"), "--data", str(data / "hub")]
    made: list[tuple[str, str]] = []
    for n, (name, born, item, delivery, fate) in enumerate(PEOPLE, start=1):
        args = [*agent, "new", "--item", item, "--name", name, "--id-number", _id_number(born)]
        args += ["--phone", f"1381234{5670 + n:04d}", "--runner", "clerk-01", "--json"]
        args += [x for code in MATERIALS[item] for x in ("--paper", code)]
        args += ["--mail-to", ADDRESS.format(n=n)] if delivery == "mail" else ["--pickup"]
        made.append((json.loads(run(*args))["id"], fate))
    subprocess.run([*agent, "sync"], capture_output=True, check=False)
    officer = requests.Session()
    officer.headers["Authorization"] = f"Bearer {users['wuhou-hrss']['token']}"
    for app_id, fate in made:
        for step in ACTIONS[fate]:
            body = dict(step)
            if body["action"] == "issue_result" and fate in TRACKING:
                body |= {"carrier": "EMS", "tracking": TRACKING[fate]}
            answer = officer.post(
                f"{url}/api/v1/applications/{app_id}/actions", json=body, timeout=10
            )
            if not answer.ok:
                raise SystemExit(f"demo: {body['action']} {app_id} refused: {answer.text[:300]}")
    for fate, number in TRACKING.items():
        run(*hub, "carrier", "simulate", "EMS", number, "--outcome", fate, "--url", url)
    subprocess.run([*agent, "sync"], capture_output=True, check=False)
    return (
        f"demo: {len(made)} applications captured by clerk-01 and synced: "
        f"{TRACKING['delivered']} delivered and {TRACKING['returned']} returned by the carrier, "
        "one result and one rejection waiting at the outlet for pickup, one photo asked for"
    )
