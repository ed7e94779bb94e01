"""Set-up and housekeeping the CLI and the scheduler share: init, outlets, codes, catalogue,
calendar, the time-limit sweep. Each function takes an open database and the time."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from sync.catalogue import OUTLET_KINDS
from sync.clock import china_date
from sync.ids import TAG_ALPHABET

from . import calendar as workdays
from . import delivery
from .cases import Hub, refresh_clock
from .catalogue import Catalogue, dump_catalogue
from .keys import create_keys
from .store import admin, devices, open_db, write
from .store import applications as apps
from .store import delivery as shipments


class AdminError(ValueError):
    """A set-up command refused; the message is shown as it is."""


def init_data(root: Path, catalogue: Catalogue, *, now: int) -> None:
    """Create a hub data folder: database, keys, blobs folder, first catalogue."""
    from . import data_paths

    paths = data_paths(root)
    if paths["database"].exists():
        raise AdminError(f"{root} already holds a hub (hub.db exists); nothing changed")
    leftovers = [
        p.name for p in (paths["keys"] / "signing.pem", paths["keys"] / "sealing.pem") if p.exists()
    ]
    if leftovers:
        raise AdminError(
            f"{paths['keys']} already holds {', '.join(leftovers)} but there is no hub.db: "
            "restore the database from backup, or move the old keys away to start a new hub"
        )
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    create_keys(paths["keys"])
    paths["blobs"].mkdir(mode=0o700, exist_ok=True)
    db = open_db(paths["database"])
    for path in paths["root"].glob("hub.db*"):
        os.chmod(path, 0o600)  # holds sealed personal data and masked copies: owner only
    try:
        with write(db):
            publish_catalogue(db, catalogue, now=now, by="init")
            admin.set_meta(db, "created_at", str(now))
    finally:
        db.close()


def publish_catalogue(db: Database, catalogue: Catalogue, *, now: int, by: str) -> Catalogue:
    """Store a catalogue as the next version and send it to every outlet's feed."""
    current = admin.current_catalogue(db)
    version = current["version"] + 1 if current else catalogue.version
    catalogue = dataclasses.replace(catalogue, version=version)
    admin.save_catalogue(db, version=version, body=dump_catalogue(catalogue), now=now, by=by)
    hub = Hub(db=db, catalogue=catalogue, calendar=workdays.WorkCalendar({}, ()), now_ms=now)
    hub.emit("*", catalogue.to_record(hub.new_id()), None)
    return catalogue


def add_outlet(db: Database, *, code: str, kind: str, name: str, region: str, now: int) -> None:
    if kind not in OUTLET_KINDS:
        raise AdminError(f"outlet kind must be one of {', '.join(OUTLET_KINDS)}")
    if not (len(region) == 6 and region.isdigit()):
        raise AdminError(f"region {region!r} is not a 6-digit division code")
    if not code or len(code) > 64 or not code.replace("-", "").replace("_", "").isalnum():
        raise AdminError("an outlet code is 1-64 letters, digits, '-' or '_'")
    if not name.strip():
        raise AdminError("an outlet needs a name")
    if devices.get_outlet(db, code) is not None:
        raise AdminError(f"outlet {code} already exists")
    devices.add_outlet(db, code=code, kind=kind, name=name.strip(), region=region, now=now)


def enrolment_code(db: Database, *, outlet: str, now: int, ttl_s: int) -> dict[str, Any]:
    """A one-time code binding the next device to ``outlet``; only its hash is stored."""
    if devices.get_outlet(db, outlet) is None:
        raise AdminError(f"no outlet {outlet}: add it with `daiban-hub outlet add` first")
    raw = "".join(secrets.choice(TAG_ALPHABET) for _ in range(12))
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    expires_at = now + ttl_s * 1000
    devices.add_enrolment_code(
        db,
        code_hash=hashlib.sha256(raw.encode()).hexdigest(),
        outlet=outlet,
        now=now,
        expires_at=expires_at,
    )
    return {"code": code, "outlet": outlet, "expires_at": expires_at}


def load_calendar(db: Database, text: str, *, year: int | None, now: int) -> int:
    """Load an operator's holiday schedule (CSV); ``year`` marks that year complete."""
    rows = workdays.parse_overrides(text)
    if year is not None and any(r.day.year != year for r in rows):
        raise AdminError(f"every row of a {year} schedule must be in {year}")
    admin.load_calendar_year(
        db, year=year, days=[(r.day.isoformat(), r.workday, r.name) for r in rows], now=now
    )
    return len(rows)


def sweep(
    hub: Hub, *, horizon_days: int = 120, signature_window: int = 300, stale_days: int = 3
) -> dict[str, Any]:
    """The periodic job: refresh time-limit states, forget old nonces, raise calendar alarms,
    flag shipments the carrier has said nothing about for ``stale_days``."""
    changed: dict[str, int] = {}
    for app in apps.with_running_clock(hub.db):
        state = refresh_clock(hub, app)
        if state:
            changed[state] = changed.get(state, 0) + 1
    # A nonce must outlive every signature that could still pass the window check.
    devices.forget_nonces(hub.db, older_than=hub.now_ms // 1000 - 2 * signature_window)
    today = china_date(hub.now_ms)
    missing = workdays.years_needing_schedule(hub.calendar, today, horizon_days)
    for year in range(today.year, today.year + 2):
        key = f"calendar.{year}"
        if year in missing:
            admin.raise_alarm(
                hub.db,
                key=key,
                level="warning",
                now=hub.now_ms,
                message=f"the {year} holiday schedule is not loaded: due dates reaching {year} "
                f"are provisional. Load it with `daiban-hub calendar load FILE --year {year}`.",
            )
        else:
            admin.clear_alarm(hub.db, key=key, now=hub.now_ms)
    stale = delivery.flag_stale(hub, days=stale_days)
    quiet = shipments.count_stale(hub.db)
    if quiet:
        admin.raise_alarm(
            hub.db,
            key="shipments.stale",
            level="warning",
            now=hub.now_ms,
            message=f"{quiet} shipment(s) without carrier news for {stale_days} days or more: "
            "see GET /api/v1/shipments?stale=1",
        )
    else:
        admin.clear_alarm(hub.db, key="shipments.stale", now=hub.now_ms)
    return {"sla_changes": changed, "calendar_missing": missing, "shipments_flagged": stale}


ENROL_URI = "daiban://enroll?hub={hub}&code={code}"


def enrolment_uri(hub_url: str, code: str) -> str:
    """What an enrolment QR code holds: ``daiban://enroll?hub=<hub-url>&code=<code>``, the two
    arguments of ``daiban-agent enroll HUB_URL CODE``. The hub address keeps its ``:`` and
    ``/`` as typed; anything that would break the query (``&``, ``#``, ``?``, ``=``, ``%``,
    spaces, non-ASCII) is percent-encoded, so ``urllib.parse.parse_qs`` gives both back."""
    return ENROL_URI.format(hub=quote(hub_url, safe=":/"), code=quote(code, safe="-"))


def revoke_device(db: Database, *, device_id: str, reason: str, by: str, now: int) -> None:
    """Refuse every further request from a device (lost or stolen laptop), with the reason
    recorded on the device and in the audit log (``revoke_device``, by whom)."""
    reason = reason.strip()
    if not reason:
        raise AdminError("say why the device is revoked")
    if devices.get_device(db, device_id) is None:
        raise AdminError(f"no device {device_id}")
    if not devices.revoke_device(db, device_id, reason=reason, now=now):
        raise AdminError(f"device {device_id} was already revoked")
    admin.audit(
        db,
        at=now,
        user=by,
        action="revoke_device",
        application=None,
        detail=f"{device_id}: {reason}",
    )
