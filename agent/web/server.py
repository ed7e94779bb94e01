"""``daiban-agent serve``: the pages (waitress) and background sync (APScheduler) together.

The scheduler runs the same jobs as ``--no-pages`` (a round at start, one every interval, a
watcher for new work) in background threads; waitress serves the pages in the main thread.
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
from ..schedule import SyncFn, SyncLoop
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
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    loop = SyncLoop(home, sync, interval_s=interval_minutes * 60)
    scheduler = BackgroundScheduler()

    def sync_now(lang: str) -> tuple[int, dict[str, Any]]:
        from ..cli import Ctx, run_sync

        ctx = Ctx(str(home.root), lang)
        try:
            code, summary = run_sync(ctx, show_progress=False)
        finally:
            if ctx._db is not None:
                ctx._db.close()
        if code == 0:  # the network is back: the watcher need not wait out its back-off
            loop.failures, loop.next_try = 0, 0.0
        return code, summary

    def new_work() -> None:
        scheduler.add_job(loop.watch, id="new-work", replace_existing=True)

    app = create_app(home, sync=sync_now, on_new_work=new_work)
    server = create_server(app, host=host, port=port, threads=threads)
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
    previous = signal.signal(signal.SIGTERM, _stop)
    scheduler.start()
    log.info("background sync every %s min; watching for new work", interval_minutes)
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
