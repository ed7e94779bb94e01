"""Running a hub: ``serve`` (waitress and the periodic sweep) and ``sweep`` once."""

from __future__ import annotations

import json
import signal

import click

from hub import create_app, store
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--sweep-minutes",
    default=10,
    show_default=True,
    type=int,
    help="How often the time-limit job runs.",
)
@pass_data
def serve(data: Data, host: str, port: int, threads: int, sweep_minutes: int) -> None:
    """Serve the hub with waitress (a production WSGI server) and run its scheduler."""
    import gc

    import waitress

    from hub import context
    from hub.push_order import PushOrder
    from hub.sweep import start_scheduler

    try:
        app = create_app(data.root, {"PUSH_ORDER": PushOrder(max_waiting=threads // 2)})
    except FileNotFoundError as exc:
        raise refuse(exc) from None
    context.warm_up(app)
    # The loaded app (catalogue, calendar, templates) lives as long as the process: move it
    # out of the collector's sight, and collect less often. Each batch allocates tens of
    # thousands of short-lived objects, and profiling showed ~5% of a push in the collector.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    scheduler = start_scheduler(app, minutes=sweep_minutes)
    click.echo(f"daiban hub serving on http://{host}:{port}/  (data: {data.root})")
    # SIGTERM (`kill`, a service manager, the quick start) stops it as Ctrl-C does: waitress's
    # loop ends on SystemExit, and the scheduler and checkpoints below are shut down.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        waitress.serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="daiban-hub",
            # Above the app's own limit, so that the app answers a large body in the error
            # shape; waitress's plain-text 413 only stops bodies far beyond it.
            max_request_body_size=2 * app.config["MAX_CONTENT_LENGTH"],
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
        scheduler.shutdown(wait=False)
        store.stop_checkpoints(app.config["DATABASE"])


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


@click.command()
@json_option
@pass_data
def sweep(data: Data, as_json: bool) -> None:
    """Run the periodic job once: time limits, nonces, calendar, quiet mail, stale uploads."""
    from hub.sweep import run_sweep

    data.db().close()  # refuses a folder that is not a hub
    # The same settings (DAIBAN_HUB_*) as the served hub's scheduled sweep.
    result = run_sweep(create_app(data.root, {"CLOCK": common.now_ms}))
    emit(result, as_json, json.dumps(result, ensure_ascii=False))
