"""Enrolment of this home's device at a hub with a one-time code, and re-enrolment of a home
already enrolled (a new key, proven by the old one, or another outlet).

    enrol(home, db, hub_url, code, label=...) -> the hub's answer
      raises SyncBusy, HubUnavailable, HubRefused, OutletChange; nothing is stored then
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlite_utils import Database

from sync.signing import public_key_to_text, sign_succession

from .client import HubRefused, enroll
from .clock import Clock, now_ms
from .home import Home
from .store import local, meta, outbox, write
from .version import agent_version


class OutletChange(Exception):
    """The code is of another outlet while records of the old one are unsynced."""

    def __init__(self, outlet: str, unsent: int) -> None:
        super().__init__(f"{unsent} unsynced records belong to outlet {outlet}")
        self.outlet, self.unsent = outlet, unsent


def enrol(
    home: Home, db: Database, hub_url: str, code: str, *, label: str, clock: Clock = now_ms
) -> dict[str, Any]:
    """Enrol (or re-enrol) this home's device with a one-time ``code``; the hub's answer."""
    # Held throughout: no sync round signs with the old key while the identity changes.
    with home.sync_lock():
        return _enrol(home, db, hub_url, code, label=label, clock=clock)


def _succession(home: Home, previous: Any, public_key: str) -> dict[str, str] | None:
    """The old key's proof that ``public_key`` succeeds this home's device, if it has one."""
    if not previous:
        return None
    try:
        old_key = home.device_key()
    except (OSError, ValueError):
        return None  # no readable old key: enrolled afresh, the old numbers go unproven
    return {
        "device_id": previous["device_id"],
        "signature": sign_succession(old_key, public_key),
    }


def _enrol(
    home: Home, db: Database, hub_url: str, code: str, *, label: str, clock: Clock
) -> dict[str, Any]:
    key = ed25519.Ed25519PrivateKey.generate()
    public_key = public_key_to_text(key.public_key())
    previous = meta.get(db, "device")
    unsent = outbox.count(db)

    def ask(proof: dict[str, str] | None) -> dict[str, Any]:
        return enroll(
            hub_url,
            code,
            public_key,
            label=label,
            agent_version=agent_version(),
            previous=proof,
        )

    try:
        body = ask(_succession(home, previous, public_key))
    except HubRefused as exc:
        # The code is of another outlet than the old device: the hub refused (code kept).
        if exc.code != "enroll.previous" or exc.body.get("reason") != "outlet":
            raise
        # Nothing unsynced is ever dropped: records of another outlet must reach the hub first.
        if unsent:
            raise OutletChange(previous["outlet"]["code"], unsent) from None
        body = ask(None)  # nothing left to send under the old numbers: move outlets
    if previous and unsent and previous["outlet"]["code"] != body["outlet"]["code"]:
        raise OutletChange(previous["outlet"]["code"], unsent)
    home.save_device_key(key)
    with write(db):
        meta.put(
            db,
            "device",
            {
                "device_id": body["device_id"],
                "tag": body["tag"],
                "outlet": body["outlet"],
                "hub_url": hub_url.rstrip("/"),
                "hub_signing_key": body["hub"]["signing_key"],
                "hub_sealing_key": body["hub"]["sealing_key"],
                "enrolled_at": clock(),
            },
        )
        meta.put(db, "clock_offset_ms", int(body["hub_time"]) - clock())
        # A batch in flight names the old device, and the hub refuses it from the new one:
        # its records stay in the outbox and go afresh (the hub knows applied ones by id).
        while (stale := outbox.inflight(db)) is not None:
            outbox.clear_inflight(db, stale["batch"])
        if not previous or previous["outlet"]["code"] != body["outlet"]["code"]:
            local.clear_hub_view(db)
            meta.put(db, "cursor", 0)
        catalogue = body["catalogue"]
        local.save_catalogue(
            db,
            version=int(catalogue["version"]),
            body=json.dumps(catalogue, ensure_ascii=False),
            now=clock(),
        )
    return body
