"""``daiban-hub``: set up, run and look after a hub.

Exit codes: 0 done; 1 refused (bad input, nothing changed; the message says why); 2 usage.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlite_utils import Database

import sync
from hub import create_app, data_paths, devices, setup, store
from hub.catalogue import CatalogueError, export_items, load_catalogue_file, sample_catalogue
from hub.cli_delivery import COMMANDS
from hub.devices import DeviceError
from hub.store import open_db, write
from hub.users import UserError, create_user

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def now_ms() -> int:
    return int(time.time() * 1000)


def emit(value: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=None) if as_json else text)


class Data:
    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.paths = data_paths(self.root)

    def db(self) -> Database:
        if not self.paths["database"].exists():
            raise click.ClickException(f"{self.root} is not a hub data folder: run init first")
        return open_db(self.paths["database"])


pass_data = click.make_pass_decorator(Data)


def refuse(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="daiban")
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    default="daiban-data/hub",
    show_default=True,
    envvar="DAIBAN_HUB_DATA",
    help="Folder holding the hub's database, keys and scans.",
)
@click.pass_context
def cli(ctx: click.Context, data: str) -> None:
    """Daiban hub: receives outlets' batches, routes them, tracks time limits."""
    ctx.obj = Data(data)


@cli.command()
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Start with this catalogue instead of the sample one.",
)
@json_option
@pass_data
def init(data: Data, catalogue_file: str | None, as_json: bool) -> None:
    """Create the data folder: database, keys and the (sample) catalogue."""
    try:
        cat = load_catalogue_file(catalogue_file) if catalogue_file else sample_catalogue()
        setup.init_data(data.root, cat, now=now_ms())
    except (CatalogueError, setup.SetupError) as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "data": str(data.root), "items": len(cat.items)},
        as_json,
        f"hub initialised in {data.root} with {len(cat.items)} service items",
    )


@cli.command()
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
        scheduler.shutdown(wait=False)
        store.stop_checkpoints(app.config["DATABASE"])


@cli.command()
def protocol() -> None:
    """Print the sync protocol this hub speaks, as JSON."""
    click.echo(
        json.dumps(
            {
                "protocol_version": sync.PROTOCOL_VERSION,
                "uplink": list(sync.UPLINK_KINDS),
                "downlink": list(sync.DOWNLINK_KINDS),
                "max_records_per_batch": sync.MAX_RECORDS,
            }
        )
    )


# --- outlets and devices ------------------------------------------------------------------


@cli.group()
def outlet() -> None:
    """Outlets: post offices, mobile shops, township and village service points."""


@outlet.command("add")
@click.argument("code")
@click.option("--kind", required=True, type=click.Choice(sync.OUTLET_KINDS))
@click.option("--name", required=True)
@click.option("--region", required=True, help="6-digit division code of the outlet's county.")
@json_option
@pass_data
def outlet_add(data: Data, code: str, kind: str, name: str, region: str, as_json: bool) -> None:
    """Add an outlet."""
    db = data.db()
    try:
        with write(db):
            setup.add_outlet(db, code=code, kind=kind, name=name, region=region, now=now_ms())
    except setup.SetupError as exc:
        raise refuse(exc) from None
    emit({"ok": True, "code": code}, as_json, f"outlet {code} added")


@outlet.command("list")
@json_option
@pass_data
def outlet_list(data: Data, as_json: bool) -> None:
    """List outlets."""
    rows = store.devices.list_outlets(data.db())
    emit(
        rows,
        as_json,
        "\n".join(f"{r['code']}\t{r['kind']}\t{r['region']}\t{r['name']}" for r in rows)
        or "no outlets",
    )


@cli.command()
@click.argument("outlet_code")
@click.option(
    "--hub-url",
    default="http://127.0.0.1:8700",
    show_default=True,
    help="Address devices reach the hub at (goes into the QR code).",
)
@click.option("--ttl-hours", default=24, show_default=True, type=click.IntRange(min=1))
@json_option
@pass_data
def enroll(data: Data, outlet_code: str, hub_url: str, ttl_hours: int, as_json: bool) -> None:
    """Make a one-time enrolment code for a device of OUTLET_CODE (shown as a QR code)."""
    import segno

    db = data.db()
    try:
        with write(db):
            code = devices.enrolment_code(
                db, outlet=outlet_code, now=now_ms(), ttl_s=ttl_hours * 3600
            )
    except DeviceError as exc:
        raise refuse(exc) from None
    if as_json:
        emit(code, True, "")
        return
    uri = devices.enrolment_uri(hub_url, code["code"])
    expires = time.strftime("%Y-%m-%d %H:%M", time.localtime(code["expires_at"] / 1000))
    click.echo(f"enrolment code for {outlet_code}: {code['code']}  (expires {expires})")
    click.echo(f"on the device: daiban-agent enroll {hub_url} {code['code']}")
    segno.make(uri, error="m").terminal(out=sys.stdout, compact=True)


@cli.group()
def device() -> None:
    """Devices enrolled at outlets."""


@device.command("list")
@json_option
@pass_data
def device_list(data: Data, as_json: bool) -> None:
    """List devices with their last contact and reported backlog."""
    rows = [
        {k: v for k, v in d.items() if k != "public_key"}
        for d in store.devices.list_devices(data.db())
    ]
    lines = [
        f"{d['id']}\t{d['outlet']}\tlast seen {d['last_seen_at'] or 'never'}\t"
        f"unsent {d['unsent']}\t{'REVOKED' if d['revoked_at'] else ''}"
        for d in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no devices")


@device.command("revoke")
@click.argument("device_id")
@click.option("--reason", required=True)
@json_option
@pass_data
def device_revoke(data: Data, device_id: str, reason: str, as_json: bool) -> None:
    """Refuse every further request from a device (lost or stolen laptop)."""
    db = data.db()
    try:
        with write(db):
            devices.revoke_device(db, device_id=device_id, reason=reason, by="cli", now=now_ms())
    except DeviceError as exc:
        raise click.ClickException(str(exc)) from exc
    emit({"ok": True, "device": device_id}, as_json, f"device {device_id} revoked")


# --- users ------------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """People who use the hub's API and pages."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "operator", "officer"]))
@click.option("--unit", help="Department unit code (officers only).")
@click.option(
    "--password",
    help="Password for the pages: 10 characters or more, hard to guess (one is generated if"
    " not given).",
)
@json_option
@pass_data
def user_add(
    data: Data, name: str, role: str, unit: str | None, password: str | None, as_json: bool
) -> None:
    """Add a user; prints the API token (shown once) and the password.

    A weak --password (short, common, or made of the user's name) is refused: nothing added.
    """
    db = data.db()
    from hub.catalogue import load_catalogue

    row = store.catalogue.current_catalogue(db)
    units = set(load_catalogue(row["body"]).units()) if row else set()
    try:
        with write(db):
            new = create_user(
                db,
                name=name,
                role=role,
                unit=unit,
                known_units=units,
                now=now_ms(),
                password=password,
            )
    except UserError as exc:
        raise refuse(exc) from None
    emit(
        {
            "ok": True,
            "name": new.name,
            "role": new.role,
            "unit": new.unit,
            "token": new.token,
            "password": new.password,
        },
        as_json,
        f"user {new.name} ({new.role}) added\n  API token (shown once): {new.token}\n"
        f"  password: {new.password}",
    )


@user.command("list")
@json_option
@pass_data
def user_list(data: Data, as_json: bool) -> None:
    """List users."""
    rows = store.users.list_users(data.db())
    emit(rows, as_json, "\n".join(f"{u['name']}\t{u['role']}\t{u['unit'] or ''}" for u in rows))


# --- catalogue, routing, calendar ----------------------------------------------------------


@cli.group()
def catalogue() -> None:
    """The service catalogue outlets work from (docs/catalogue.md)."""


@catalogue.command("export")
@click.option("--json", "as_json", is_flag=True, help="JSON list of items (for scripts).")
@click.option("--yaml", "as_yaml", is_flag=True, help="The YAML file a clerk edits (default).")
@pass_data
def catalogue_export(data: Data, as_json: bool, as_yaml: bool) -> None:
    """Print the current catalogue."""
    from hub.catalogue import load_catalogue

    row = store.catalogue.current_catalogue(data.db())
    if row is None:
        raise click.ClickException("the hub has no catalogue")
    if as_json:
        click.echo(json.dumps(export_items(load_catalogue(row["body"])), ensure_ascii=False))
    else:
        click.echo(row["body"], nl=False)


@catalogue.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_data
def catalogue_import(data: Data, file: str, as_json: bool) -> None:
    """Check FILE and publish it as the next catalogue version (sent to every outlet)."""
    try:
        cat = load_catalogue_file(file)
    except CatalogueError as exc:
        raise refuse(exc) from None
    db = data.db()
    with write(db):
        published = setup.publish_catalogue(db, cat, now=now_ms(), by="cli")
    emit(
        {"ok": True, "version": published.version, "items": len(published.items)},
        as_json,
        f"catalogue version {published.version} published ({len(published.items)} items)",
    )


@cli.group()
def route() -> None:
    """Region overrides of the catalogue's routing."""


@route.command("override")
@click.argument("item")
@click.argument("region")
@click.argument("unit")
@pass_data
def route_override(data: Data, item: str, region: str, unit: str) -> None:
    """Send ITEM applications from REGION (division code or *) to UNIT."""
    from hub.context import NoCatalogue, stored_catalogue

    db = data.db()
    try:
        cat = stored_catalogue(db)
    except NoCatalogue as exc:
        raise click.ClickException(str(exc)) from None
    if cat.item(item) is None:
        raise click.ClickException(f"no item {item} in the catalogue")
    if unit not in cat.units():
        raise click.ClickException(f"no department unit {unit} in the catalogue")
    if region != "*" and not (len(region) == 6 and region.isdigit()):
        raise click.ClickException(f"region {region!r} is not a 6-digit division code or *")
    with write(db):
        store.catalogue.set_region_override(db, item=item, region=region, unit=unit)
    click.echo(f"{item} from {region} now goes to {unit}")


@cli.group()
def calendar() -> None:
    """The working-day calendar (statutory holidays and adjusted working days)."""


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, help="The file is that year's complete official schedule.")
@json_option
@pass_data
def calendar_load(data: Data, file: str, year: int | None, as_json: bool) -> None:
    """Load holiday / working-day overrides from a CSV (date,workday,name)."""
    from hub.calendar import CalendarError

    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{file} is not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    db = data.db()
    try:
        with write(db):
            count = setup.load_calendar(db, text, year=year, now=now_ms())
    except (CalendarError, setup.SetupError) as exc:
        raise refuse(exc) from None
    emit({"ok": True, "days": count, "year": year}, as_json, f"{count} days loaded")


@cli.command()
@json_option
@pass_data
def sweep(data: Data, as_json: bool) -> None:
    """Run the periodic job once: time limits, nonces, calendar, quiet mail, stale uploads."""
    from hub.sweep import run_sweep

    data.db().close()  # refuses a folder that is not a hub
    # The same settings (DAIBAN_HUB_*) as the served hub's scheduled sweep.
    result = run_sweep(create_app(data.root, {"CLOCK": now_ms}))
    emit(result, as_json, json.dumps(result, ensure_ascii=False))


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:  # pragma: no cover - console entry point
    cli()
