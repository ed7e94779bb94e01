"""``outlet add`` and ``outlet list``: post offices, mobile shops, township and village
service points."""

from __future__ import annotations

import click

import sync
from hub import setup, store
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse
from hub.store import write


@click.group()
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
            setup.add_outlet(
                db, code=code, kind=kind, name=name, region=region, now=common.now_ms()
            )
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
