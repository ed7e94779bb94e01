"""Many applications at once, straight into a hub's or an agent's store, for the list tests
and bench/bench_lists.py: the rows ingest or capture would write (masked copies as the
devices make them), without sealing or syncing each one."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from hub import store
from hub.setup import add_outlet
from hub.store.applications import NewApplication
from sync.ids import receipt_number
from sync.masking import mask_id_number, mask_name, mask_phone

T0 = 1_789_956_000_000  # Monday 2026-09-21, 10:00 in China
ITEMS = ("SS-CARD-ACT", "MI-PAY", "TP-FINE")
STATES = ("routed", "accepted", "triage", "approved")
SURNAMES = "王李张刘陈杨黄赵吴周"
TAGS = ("2A7K", "3B8M")


@dataclass(frozen=True)
class Made:
    """One application made: what the tests search it by."""

    id: str
    receipt: str
    name: str  # in clear, as the citizen said it (never stored)
    phone: str  # in clear (never stored)
    item: str
    status: str
    at: int  # received_at at the hub, captured_at at the outlet


def made(count: int, *, seed: int = 7, ties: int = 3) -> list[Made]:
    """``count`` applications, in arrival order; ``ties`` of them share each millisecond
    (ordered by id then), receipts from two device tags, names and phones varied."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        at = T0 + (n // ties) * 1000
        name = SURNAMES[n % len(SURNAMES)] + "".join(
            rng.choice("伟芳娜秀英敏静丽强磊") for _ in range(1 + n % 2)
        )
        # Tails are unique up to 10,000 (a test finds one application by its tail alone).
        phone = f"13{rng.randint(0, 9)}{rng.randint(0, 9999):04d}{n % 10_000:04d}"
        out.append(
            Made(
                id=f"0199{n:04x}-0000-7000-8000-{rng.getrandbits(48):012x}",
                receipt=receipt_number(TAGS[n % 2], n // 2 + 1),
                name=name,
                phone=phone,
                item=ITEMS[n % len(ITEMS)],
                status=STATES[n % len(STATES)],
                at=at,
            )
        )
    return out


def masked(app: Made) -> str:
    return json.dumps(
        {
            "name": mask_name(app.name),
            "id_number": mask_id_number("510107199001011234"),
            "phone": mask_phone(app.phone),
        },
        ensure_ascii=False,
    )


def into_hub(db: Database, apps: list[Made], *, outlet: str = "PO-WUHOU-01") -> None:
    """The applications as the hub's rows (routed to HRSS-510107 but for triage)."""
    if store.devices.get_outlet(db, outlet) is None:
        add_outlet(db, code=outlet, kind="postal", name="武侯代办点", region="510107", now=T0)
    rows = [
        NewApplication(
            id=a.id,
            receipt=a.receipt,
            outlet=outlet,
            device="dev-1",
            staff="clerk-01",
            item=a.item,
            region="510107",
            unit=None if a.status == "triage" else "HRSS-510107",
            status=a.status,
            version=1,
            captured_at=a.at,
            captured_at_hub=a.at,
            clock_flagged=0,
            received_at=a.at,
            delivery="pickup",
            applicant_id_type="resident_id",
            applicant_record=a.id,
            applicant_sealed="sealed",
            applicant_masked=masked(a),
            address_record=None,
            address_sealed=None,
            address_masked=None,
            materials="[]",
            promised="[]",
            missing_scans=0,
            note="",
            accepted_on=None,
            limit_days=None,
            due_date=None,
            due_provisional=0,
            sla_state=None,
            updated_at=a.at,
        )
        for a in apps
    ]
    store.applications.insert_applications(db, rows)


AGENT_STATES = ("queued", "sent", "sent", "rejected")
HUB_STATUSES = (None, "routed", "ready_for_pickup", "rejected", "returned")


def agent_row(a: Made, n: int) -> dict[str, Any]:
    """The application as the agent's row (agent/capture.py writes these columns)."""
    sync_state = AGENT_STATES[n % len(AGENT_STATES)]
    return {
        "id": a.id,
        "receipt": a.receipt,
        "item": a.item,
        "item_name": a.item,
        "staff": "clerk-01" if n % 3 else "runner-02",
        "region": "510107",
        "captured_at": a.at,
        "applicant_masked": masked(a),
        "delivery": "pickup",
        "address_masked": None,
        "materials": "[]",
        "promised": "[]",
        "sync_state": sync_state,
        "hub_status": None if sync_state != "sent" else HUB_STATUSES[n % len(HUB_STATUSES)],
        "updated_at": a.at + 5,
    }


def into_agent(db: Database, apps: list[Made]) -> None:
    rows = [agent_row(a, n) for n, a in enumerate(apps)]
    columns = list(rows[0])
    db.conn.executemany(
        f"INSERT INTO applications ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [[row[c] for c in columns] for row in rows],
    )
