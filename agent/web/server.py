"""``daiban-agent serve``: the pages (waitress) and background sync (APScheduler) together.

The scheduler runs the same jobs as ``--no-pages`` (``schedule.add_jobs``: a round at start,
one every interval, a watcher for new work) in background threads; waitress serves the pages
in the main thread. "Sync now" on the pages runs the same round (``rounds.sync_callback``).
A record queued from the pages asks the watcher to look at once, so it goes to the hub
within seconds when the network is there. Ctrl-C or SIGTERM stops both.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from waitress.server import MultiSocketServer, create_server

from ..home import Home
from ..rounds import Outcome, SyncNow, sync_callback
from ..schedule import SyncFn, SyncLoop, add_jobs, look_soon, quiet_logging
from . import create_app

log = logging.getLogger("daiban.agent")


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(0)  # waitress's loop ends on SystemExit like on KeyboardInterrupt


def serve_pages(
    home: Home,
    sync: SyncFn,
    *,
    interval_minutes: float,
    host: str = "127.0.0.1",
    port: int = 8701,
    threads: int = 6,
    sync_now: SyncNow | None = None,
) -> None:
    """Serve the pages until Ctrl-C or SIGTERM, ``sync`` running in the background.

    ``sync_now`` is the pages' "sync now" (default: ``rounds.sync_callback(home)``)."""
    quiet_logging()
    loop = SyncLoop(home, sync, interval_s=interval_minutes * 60)
    scheduler = BackgroundScheduler()
    by_hand = sync_now or sync_callback(home)

    def sync_from_pages(lang: str) -> Outcome:
        code, summary = by_hand(lang)
        if code == 0:
            loop.forget_failures()
        return code, summary

    app = create_app(home, sync=sync_from_pages, on_new_work=lambda: look_soon(scheduler, loop))
    server = create_server(app, host=host, port=port, threads=threads)
    add_jobs(scheduler, loop, interval_minutes=interval_minutes, start=True)
    previous = signal.signal(signal.SIGTERM, _stop)
    scheduler.start()
    if isinstance(server, MultiSocketServer):  # a host name with several addresses (IPv4, IPv6)
        for listen_host, listen_port in server.effective_listen:
            log.info("pages at http://%s:%s/", listen_host, listen_port)
    else:
        log.info("pages at http://%s:%s/", host, server.getsockname()[1])
    try:
        server.run()
    finally:
        scheduler.shutdown(wait=False)
        server.close()
        try:
            loop.stop()
        finally:
            signal.signal(signal.SIGTERM, previous)
            log.info("stopped")
