"""The hub's periodic sweep: time-limit states, old nonces, calendar alarms, quiet shipments
and stale uploads, run on an APScheduler 3 interval (or once, ``daiban-hub sweep``)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from hub import delivery, store, workdays
from hub.cases import Hub, refresh_clock
from hub.context import build_hub, stored_catalogue
from hub.store import open_db, write
from sync.clock import china_date


def sweep(
    hub: Hub, *, horizon_days: int = 120, signature_window: int = 300, stale_days: int = 3
) -> dict[str, Any]:
    """The periodic job: refresh time-limit states, forget old nonces, raise calendar alarms,
    flag shipments the carrier has said nothing about for ``stale_days``."""
    changed: dict[str, int] = {}
    for app in store.applications.with_running_clock(hub.db):
        state = refresh_clock(hub, app)
        if state:
            changed[state] = changed.get(state, 0) + 1
    # A nonce must outlive every signature that could still pass the window check.
    store.devices.forget_nonces(hub.db, older_than=hub.now_ms // 1000 - 2 * signature_window)
    today = china_date(hub.now_ms)
    missing = workdays.years_needing_schedule(hub.calendar, today, horizon_days)
    for year in range(today.year, today.year + 2):
        key = f"calendar.{year}"
        if year in missing:
            store.alarms.raise_alarm(
                hub.db,
                key=key,
                level="warning",
                now=hub.now_ms,
                message=calendar_alarm(year),
            )
        else:
            store.alarms.clear_alarm(hub.db, key=key, now=hub.now_ms)
    stale = delivery.flag_stale(hub, days=stale_days)
    quiet = store.shipments.count_stale(hub.db)
    if quiet:
        store.alarms.raise_alarm(
            hub.db,
            key="shipments.stale",
            level="warning",
            now=hub.now_ms,
            message=f"{quiet} shipment(s) without carrier news for {stale_days} days or more: "
            "see GET /api/v1/shipments?stale=1",
        )
    else:
        store.alarms.clear_alarm(hub.db, key="shipments.stale", now=hub.now_ms)
    return {"sla_changes": changed, "calendar_missing": missing, "shipments_flagged": stale}


def calendar_alarm(year: int) -> str:
    """The ``calendar.YEAR`` alarm's words: what is wrong, when the schedule comes, what to do."""
    return (
        f"the {year} holiday schedule is not loaded: due dates reaching {year} are provisional."
        f" The General Office of the State Council (国务院办公厅) usually publishes the {year}"
        f" holiday arrangement between late October and mid November {year - 1} (www.gov.cn);"
        f" once it is out, write it as a CSV file (docs/workflow.md) and load it with"
        f" `daiban-hub calendar load FILE --year {year}`."
    )


log = logging.getLogger("daiban.hub.sweep")


def run_sweep(app: Flask) -> dict:
    """One sweep against the app's database; errors are logged, never silent."""
    db = open_db(app.config["DATABASE"], migrate=False)
    try:
        with write(db):
            cat = stored_catalogue(db)
            hub = build_hub(
                db,
                at_ms=app.config["CLOCK"](),
                cat=cat,
                warn_days=app.config["WARN_DAYS"],
            )
            result = sweep(
                hub,
                signature_window=app.config["SIGNATURE_WINDOW"],
                stale_days=app.config["SHIPMENT_STALE_DAYS"],
            )
        result["partial_uploads_removed"] = drop_stale_partials(app)
        log.info("sweep: %s", result)
        return result
    except Exception:
        log.exception("sweep failed")
        raise
    finally:
        db.close()


def drop_stale_partials(app: Flask) -> int:
    """Delete unfinished scan uploads untouched for PARTIAL_UPLOAD_DAYS; how many.

    A laptop that died mid-upload would otherwise leave its partial on the hub's disk for
    ever. Nothing is lost: a device keeps each scan until the hub holds all of it, and one
    that comes back later is told to start that scan again from byte 0.
    """
    blobs = app.config["BLOBS"]
    max_age_s = app.config["PARTIAL_UPLOAD_DAYS"] * 86_400
    now_s = app.config["CLOCK"]() / 1000
    removed = 0
    for sha256 in blobs.partials_older_than(max_age_s, now=now_s):
        # Checked again under the upload's lock: a device may be resuming it right now.
        removed += blobs.delete_partial(sha256, untouched_since=now_s - max_age_s)
    if removed:
        log.info(
            "removed %d unfinished scan upload(s) older than %d days", removed, max_age_s // 86_400
        )
    return removed


def start_scheduler(app: Flask, *, minutes: int) -> BackgroundScheduler:
    """Start the sweep now and every ``minutes``; one run at a time, missed runs coalesced."""
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        run_sweep,
        "interval",
        args=[app],
        minutes=minutes,
        id="sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=None,
    )
    scheduler.start()
    scheduler.modify_job("sweep", next_run_time=_now())
    return scheduler


def _now() -> datetime:
    return datetime.now().astimezone()
