"""Setting a hub up: its data folder, outlets, catalogue versions and holiday schedules. Each
function takes an open database and the time; the CLI and the operator's pages call them."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from sqlite_utils import Database

from hub import store, workdays
from hub.cases import Hub
from hub.catalogue import Catalogue, dump_catalogue
from hub.errors import HubError
from hub.keys import create_keys
from hub.store import open_db, write
from sync.catalogue import OUTLET_KINDS
from sync.errors import InvalidValue
from sync.validators import outlet_code


class SetupError(HubError):
    """A set-up command refused; the message is shown as it is."""


def init_data(root: Path, catalogue: Catalogue, *, now: int) -> None:
    """Create a hub data folder: database, keys, blobs folder, first catalogue."""
    from hub.settings import data_paths

    paths = data_paths(root)
    if paths["database"].exists():
        raise SetupError(f"{root} already holds a hub (hub.db exists); nothing changed")
    leftovers = [
        p.name for p in (paths["keys"] / "signing.pem", paths["keys"] / "sealing.pem") if p.exists()
    ]
    if leftovers:
        raise SetupError(
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
            store.alarms.set_meta(db, "created_at", str(now))
    finally:
        db.close()


def publish_catalogue(db: Database, catalogue: Catalogue, *, now: int, by: str) -> Catalogue:
    """Store a catalogue as the next version and send it to every outlet's feed."""
    current = store.catalogue.current_catalogue(db)
    version = current["version"] + 1 if current else catalogue.version
    catalogue = dataclasses.replace(catalogue, version=version)
    store.catalogue.save_catalogue(
        db, version=version, body=dump_catalogue(catalogue), now=now, by=by
    )
    hub = Hub(db=db, catalogue=catalogue, calendar=workdays.WorkCalendar({}, ()), now_ms=now)
    hub.emit("*", catalogue.to_record(hub.new_id()), None)
    return catalogue


def add_outlet(db: Database, *, code: str, kind: str, name: str, region: str, now: int) -> None:
    if kind not in OUTLET_KINDS:
        raise SetupError(f"outlet kind must be one of {', '.join(OUTLET_KINDS)}")
    if not (len(region) == 6 and region.isdigit()):
        raise SetupError(f"region {region!r} is not a 6-digit division code")
    try:
        outlet_code(code)  # the records' rule: one the wire refused could send nothing
    except InvalidValue as exc:
        raise SetupError(exc.message) from None
    if not name.strip():
        raise SetupError("an outlet needs a name")
    if store.devices.get_outlet(db, code) is not None:
        raise SetupError(f"outlet {code} already exists")
    store.devices.add_outlet(db, code=code, kind=kind, name=name.strip(), region=region, now=now)


def load_calendar(db: Database, text: str, *, year: int | None, now: int) -> int:
    """Load an operator's holiday schedule (CSV); ``year`` marks that year complete."""
    rows = workdays.parse_overrides(text)
    if year is not None and any(r.day.year != year for r in rows):
        raise SetupError(f"every row of a {year} schedule must be in {year}")
    store.calendar.load_calendar_year(
        db, year=year, days=[(r.day.isoformat(), r.workday, r.name) for r in rows], now=now
    )
    return len(rows)


# --- routing overrides ------------------------------------------------------------------------


def _override_region(region: str) -> str:
    if region != "*" and not (len(region) == 6 and region.isdigit()):
        raise SetupError(f"region {region!r} is not a 6-digit division code or *")
    return region


def set_route_override(
    db: Database, catalogue: Catalogue, *, item: str, region: str, unit: str, now: int, by: str
) -> None:
    """Send ``item`` applications from ``region`` (or ``*``) to ``unit`` from now on; audited
    (``route_override``)."""
    if catalogue.item(item) is None:
        raise SetupError(f"no item {item} in the catalogue")
    if unit not in catalogue.units():
        raise SetupError(f"no department unit {unit} in the catalogue")
    _override_region(region)
    store.catalogue.set_region_override(db, item=item, region=region, unit=unit)
    store.audit.audit(
        db,
        at=now,
        user=by,
        action="route_override",
        application=None,
        detail=f"{item} {region} -> {unit}",
    )


def route_overrides(db: Database) -> list[dict[str, str]]:
    """Every region override: ``item``, ``region``, ``unit``."""
    return store.catalogue.list_region_overrides(db)


def remove_route_override(db: Database, *, item: str, region: str, now: int, by: str) -> str:
    """Drop one override (applications from then on follow the catalogue again); the unit it
    sent them to. Audited (``route_override_removed``)."""
    _override_region(region)
    unit = store.catalogue.region_overrides(db).get((item, region))
    if unit is None or not store.catalogue.delete_region_override(db, item=item, region=region):
        raise SetupError(f"no override for {item} from {region} (see `daiban-hub route list`)")
    store.audit.audit(
        db,
        at=now,
        user=by,
        action="route_override_removed",
        application=None,
        detail=f"{item} {region} -> {unit}",
    )
    return unit
