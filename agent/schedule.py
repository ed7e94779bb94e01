"""Background sync for ``daiban-agent serve`` (APScheduler 3).

Two jobs: a round every few minutes, and a watcher every ten seconds that starts a round
soon after new work is captured. After a failed round the watcher backs off (capped
exponential, with jitter), so an outlet offline for a day neither hammers the network nor
stalls: the next round after the network returns is at most ``interval`` away. Rounds never
overlap: one at a time in this process (max_instances=1) and across processes (the home
folder's lock).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from .home import Home
from .store import outbox

log = logging.getLogger("daiban.agent")

SyncFn = Callable[[], tuple[int, dict[str, Any]]]


class SyncLoop:
    """Decides when to run a round; knows how the last ones went."""

    def __init__(self, home: Home, sync: SyncFn, *, interval_s: float) -> None:
        self.home, self.sync, self.interval_s = home, sync, interval_s
        self.failures = 0
        self.next_try = 0.0
        self.last: tuple[int, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def backoff_s(self) -> float:
        base = min(self.interval_s, 15 * 2 ** min(self.failures, 10))
        return base * random.uniform(0.7, 1.0)

    def run(self, reason: str) -> None:
        if self._stopping or not self._lock.acquire(blocking=False):
            return  # stopping, or a round is already running in this process
        try:
            code, summary = self.sync()
            self.last = (code, summary)
            if code == 0:
                self.forget_failures()
                log.info("sync (%s): %s", reason, summary)
            else:
                self.failures += 1
                self.next_try = time.monotonic() + self.backoff_s()
                log.warning("sync (%s) failed with exit %s: %s", reason, code, summary.get("error"))
        finally:
            self._lock.release()

    def stop(self) -> None:
        """Let no round start again, and wait for the one running, if any, to end.

        Called when serve is stopped: a round left running would meet the interpreter's
        shutdown half-way and end in a traceback. A round cut short anyway (the process
        killed) keeps everything for the next one: what was sent is in flight, what was not
        is in the outbox.
        """
        self._stopping = True
        if self._lock.acquire(blocking=False):
            return  # kept: run() now returns at once
        log.info("waiting for the sync round in progress to finish")
        while not self._lock.acquire(timeout=0.5):  # a timeout keeps Ctrl-C heard
            pass

    def forget_failures(self) -> None:
        """A round run elsewhere (the pages' "sync now") went through: the network is back,
        so the watcher need not wait out its back-off."""
        self.failures, self.next_try = 0, 0.0

    def watch(self) -> None:
        """Start a round when work is waiting, unless backing off after a failure."""
        if time.monotonic() < self.next_try:
            return
        db = self.home.open()
        try:
            waiting = outbox.count(db)
        finally:
            db.close()
        if waiting:
            self.run("new work")


def quiet_logging() -> None:
    """Our own lines, at INFO, say what matters; APScheduler's only when something is wrong."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def add_jobs(
    scheduler: BaseScheduler, loop: SyncLoop, *, interval_minutes: float, start: bool
) -> None:
    """serve's jobs, with the pages or without: a round at start (when ``start``; without the
    pages the first round runs before the scheduler does), one every interval, the watcher."""
    if start:
        scheduler.add_job(loop.run, args=["start"], id="start")
    scheduler.add_job(
        loop.run,
        "interval",
        args=["timer"],
        minutes=interval_minutes,
        id="sync",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        loop.watch, "interval", seconds=10, id="watch", max_instances=1, coalesce=True
    )
    log.info("background sync every %s min; watching for new work", interval_minutes)


def look_soon(scheduler: BaseScheduler, loop: SyncLoop) -> None:
    """New work was queued: the watcher looks now rather than within ten seconds."""
    scheduler.add_job(loop.watch, id="new-work", replace_existing=True)


def run_forever(home: Home, sync: SyncFn, *, interval_minutes: float, once: bool = False) -> None:
    """serve without the pages: rounds in the foreground until Ctrl-C (one with ``once``)."""
    quiet_logging()
    loop = SyncLoop(home, sync, interval_s=interval_minutes * 60)
    loop.run("start")
    if once:
        return
    scheduler = BlockingScheduler()
    add_jobs(scheduler, loop, interval_minutes=interval_minutes, start=False)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
        loop.stop()
