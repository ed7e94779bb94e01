"""The operator's dashboard: the figures of the day, computed once for every surface.

One function, :func:`figures`, answers what the dashboard page shows (and what an API call
for the same picture would): today's intake (China day), supplements pending and the age of
the oldest, the oldest application waiting at each stage, overdue and due-soon counts,
devices and outlets that stopped syncing or hold an unsent backlog, and the queue per unit
and state with every state as a column (workflow order, zeros included) and totals. The SQL
is in ``hub.store.stats`` (and the queue counts in ``hub.store.applications``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from hub import store, workflow
from hub.cases import Hub
from sync.clock import CHINA, china_date

# The stages whose oldest waiting application the dashboard names, in workflow order: not
# routed yet (triage), routed and not accepted, accepted and not decided.
STAGES = ("triage", "routed", "accepted")
SUPPLEMENT = "supplement_requested"
_HOUR_MS = 3_600_000


def _day_start_ms(day: date) -> int:
    return int(datetime.combine(day, time(), CHINA).timestamp() * 1000)


def age(hub: Hub, since_ms: int) -> dict[str, Any]:
    """How long since ``since_ms``: calendar days and working days (China's calendar) from
    the China day it happened to today; ``provisional`` if a day counted was guessed."""
    since_day = china_date(since_ms)
    working, provisional = hub.calendar.working_days_between(since_day, hub.today)
    return {
        "since": since_ms,
        "since_day": since_day.isoformat(),
        "days": max((hub.today - since_day).days, 0),
        "working_days": working,
        "provisional": provisional,
    }


def _waiting(hub: Hub, status: str) -> dict[str, Any]:
    """How many applications are in ``status`` and which has waited there longest."""
    row = store.stats.oldest_waiting(hub.db, status)
    if row is None:
        return {"status": status, "count": 0, "oldest": None}
    count = row.pop("count")
    return {"status": status, "count": count, "oldest": {**row, **age(hub, row["since"])}}


def _sync(hub: Hub, silent_hours: int) -> dict[str, Any]:
    """Devices not heard from for ``silent_hours`` or reporting unsent records, and the
    outlets none of whose devices was heard from within ``silent_hours``."""
    cutoff = hub.now_ms - silent_hours * _HOUR_MS
    devices = []
    outlets: dict[str, dict[str, Any]] = {}
    for d in store.stats.device_sync(hub.db):
        silent = d["last_seen_at"] is None or d["last_seen_at"] < cutoff
        backlog = int(d["unsent"] or 0)
        outlet = outlets.setdefault(
            d["outlet"],
            {
                "code": d["outlet"],
                "name": d["outlet_name"],
                "devices": 0,
                "last_seen_at": None,
                "unsent": 0,
                "silent": True,
            },
        )
        outlet["devices"] += 1
        outlet["unsent"] += backlog
        outlet["silent"] = outlet["silent"] and silent
        if d["last_seen_at"] is not None:
            outlet["last_seen_at"] = max(outlet["last_seen_at"] or 0, d["last_seen_at"])
        if silent or backlog:
            devices.append({**d, "silent": silent, "backlog": backlog})
    silent_outlets = [o for o in outlets.values() if o["silent"]]
    return {
        "silent_hours": silent_hours,
        "devices": devices,
        "silent_devices": sum(1 for d in devices if d["silent"]),
        "backlog_devices": sum(1 for d in devices if d["backlog"]),
        "unsent": sum(d["backlog"] for d in devices),
        "silent_outlets": sorted(silent_outlets, key=lambda o: (o["name"], o["code"])),
    }


def _queue(hub: Hub) -> dict[str, Any]:
    """Applications per unit (rows; '' = not routed yet) and state (every state, in
    workflow order), with each row's, each column's and the grand total."""
    units: dict[str, dict[str, int]] = {}
    for row in store.applications.queue_counts(hub.db):
        cells = units.setdefault(row["unit"], dict.fromkeys(workflow.STATES, 0))
        cells[row["status"]] = cells.get(row["status"], 0) + int(row["count"])
    names = hub.catalogue.units()
    order = sorted(units, key=lambda u: (u != "", names.get(u, u), u))
    rows: list[dict[str, Any]] = [
        {"unit": u, "name": names.get(u, u), "counts": units[u], "total": sum(units[u].values())}
        for u in order
    ]
    columns = {s: sum(r["counts"][s] for r in rows) for s in workflow.STATES}
    return {
        "states": list(workflow.STATES),
        "rows": rows,
        "totals": columns,
        "total": sum(columns.values()),
    }


def figures(hub: Hub, *, silent_hours: int = 24) -> dict[str, Any]:
    """Everything the operator's dashboard shows, as of the hub's clock (``computed_at``)."""
    today = hub.today
    start = _day_start_ms(today)
    end = _day_start_ms(today + timedelta(days=1))
    outlets = {o["code"]: o["name"] for o in store.devices.list_outlets(hub.db)}
    return {
        "computed_at": hub.now_ms,
        "today": today.isoformat(),
        "received_today": store.stats.received_between(hub.db, start, end),
        "supplements": _waiting(hub, SUPPLEMENT),
        "waiting": [_waiting(hub, s) for s in STAGES],
        **store.stats.sla_counts(hub.db),
        "sync": _sync(hub, silent_hours),
        "queue": _queue(hub),
        "outlets": outlets,
    }
