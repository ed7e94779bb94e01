"""``make run`` with ``--demo``: sample traffic through the real programs, once.

Applications are captured on the local agent and synced; the officer of 武侯区人社局 decides
them over the API; two results go by mail and the simulated carrier reports one delivered and
one returned; the agent syncs again so its pages show the whole story.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import requests
from stdnum.iso7064 import mod_11_2

from hub.demo.programs import run, tool

# (name, birth date + sequence, item, delivery) -> what happens at the department.
PEOPLE = (
    ("李秀英", "19650312042", "SS-CARD-APPLY", "mail", "delivered"),
    ("王建国", "19580820031", "SS-CARD-APPLY", "mail", "returned"),
    ("张丽", "19900105066", "SS-CARD-ACT", "pickup", "issued"),
    ("刘洋", "19881117015", "SS-CARD-APPLY", "pickup", "accepted"),
    ("陈静", "19951230028", "SS-CARD-ACT", "pickup", "routed"),
)
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
        actions = {"routed": [], "accepted": ["accept"]}.get(
            fate, ["accept", "approve", "issue_result"]
        )
        for action in actions:
            body: dict = {"action": action}
            if action == "issue_result" and fate in TRACKING:
                body |= {"carrier": "EMS", "tracking": TRACKING[fate]}
            officer.post(f"{url}/api/v1/applications/{app_id}/actions", json=body, timeout=10)
    for fate, number in TRACKING.items():
        run(*hub, "carrier", "simulate", "EMS", number, "--outcome", fate, "--url", url)
    subprocess.run([*agent, "sync"], capture_output=True, check=False)
    return (
        f"demo: {len(made)} applications captured and synced; "
        f"{TRACKING['delivered']} delivered, {TRACKING['returned']} returned by the carrier"
    )
