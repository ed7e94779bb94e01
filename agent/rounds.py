"""One locked sync round, as ``daiban-agent sync``, serve's background rounds and the pages'
"sync now" all run it.

``syncer.sync_once`` is the round itself (push, upload, pull). This module builds the signed
client from the home's enrolment, holds the home's sync lock around the round, and turns how
it went into an exit code and a summary in the reader's language, which the CLI prints and
the pages flash.

    make_client(home, db) -> HubClient                   raises NotEnrolled
    run_round(home, db, client, lang) -> Outcome         (exit code, summary)
    sync_callback(home) -> SyncNow                       lang -> Outcome, on its own connection
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from sync.signing import public_key_from_text

from .client import HubClient, HubRefused, HubUnavailable
from .clock import Clock, now_ms
from .home import Home, SyncBusy
from .messages import text
from .store import meta, outbox
from .syncer import Progress, heartbeat, sync_once
from .version import agent_version

# The exit codes of ``daiban-agent`` (agent/cli.py's docstring says what each means): a round
# ends in EXIT_OK, EXIT_OFFLINE, EXIT_HUB_REFUSED or EXIT_BUSY.
EXIT_OK, EXIT_REFUSED, EXIT_OFFLINE, EXIT_HUB_REFUSED, EXIT_BUSY = 0, 1, 3, 4, 5

Outcome = tuple[int, dict[str, Any]]
SyncNow = Callable[[str], Outcome]  # lang -> outcome, its words in that language


class NotEnrolled(Exception):
    """This home has no device enrolled at a hub yet."""


def make_client(home: Home, db: Database, *, clock: Clock = now_ms) -> HubClient:
    """The hub client of this home's enrolled device."""
    device = meta.get(db, "device")
    if not device:
        raise NotEnrolled("this device is not enrolled yet")
    return HubClient(
        device["hub_url"],
        key=home.device_key(),
        device_id=device["device_id"],
        hub_key=public_key_from_text(device["hub_signing_key"]),
        clock_ms=clock,
        offset_ms=int(meta.get(db, "clock_offset_ms", 0)),
        heartbeat=lambda: heartbeat(db, agent_version()),
    )


def run_round(
    home: Home,
    db: Database,
    client: HubClient,
    lang: str,
    *,
    progress: Progress | None = None,
    clock: Clock = now_ms,
) -> Outcome:
    """One round under the home's sync lock: (exit code, summary)."""
    try:
        with home.sync_lock():
            result = sync_once(db, home, client, now_ms=clock, progress=progress)
    except SyncBusy:
        return EXIT_BUSY, {"ok": False, "error": text("sync.busy", lang)}
    except HubUnavailable as exc:
        return EXIT_OFFLINE, {"ok": False, "error": text("sync.offline", lang, reason=str(exc))}
    except HubRefused as exc:
        return EXIT_HUB_REFUSED, {
            "ok": False,
            "code": exc.code,
            "error": text(
                "sync.revoked" if exc.code == "device_revoked" else "sync.refused",
                lang,
                reason=exc.message,
            ),
        }
    summary = {
        "ok": True,
        "pushed": result.pushed,
        "settled": result.settled,
        "refused": result.refused,
        "pulled": result.pulled,
        "uploaded": result.uploaded,
        "resynced": result.resynced,
        "attention": result.attention,
        "requests": result.requests,
        "unsent": outbox.count(db),
        "notes": result.notes,  # what went wrong with one item and did not stop the round
    }
    return EXIT_OK, summary


def sync_callback(home: Home, *, clock: Clock = now_ms) -> SyncNow:
    """The round the pages' "sync now" and serve's scheduler run: as ``daiban-agent sync``,
    on a database connection of its own (each runs in a thread of its own)."""

    def sync(lang: str) -> Outcome:
        db = home.open()
        try:
            client = make_client(home, db, clock=clock)
            return run_round(home, db, client, lang, clock=clock)
        except NotEnrolled:
            return EXIT_REFUSED, {"ok": False, "error": text("not_enrolled", lang)}
        finally:
            db.close()

    return sync
