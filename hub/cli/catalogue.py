"""The service catalogue: ``catalogue export`` and ``import``, and routing overrides
(``route override``, ``route list``, ``route remove``)."""

from __future__ import annotations

import json

import click

from hub import setup, store
from hub.catalogue import CatalogueError, export_items, load_catalogue_file
from hub.cli import common
from hub.cli.common import (
    AUDIT_BY,
    Data,
    emit,
    json_option,
    pass_data,
    refuse,
)
from hub.context import NoCatalogue, stored_catalogue
from hub.store import write


@click.group()
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
        published = setup.publish_catalogue(db, cat, now=common.now_ms(), by="cli")
    emit(
        {"ok": True, "version": published.version, "items": len(published.items)},
        as_json,
        f"catalogue version {published.version} published ({len(published.items)} items)",
    )


@click.group()
def route() -> None:
    """Region overrides of the catalogue's routing."""


@route.command("override")
@click.argument("item")
@click.argument("region")
@click.argument("unit")
@json_option
@pass_data
def route_override(data: Data, item: str, region: str, unit: str, as_json: bool) -> None:
    """Send ITEM applications from REGION (division code or *) to UNIT."""
    db = data.db()
    try:
        cat = stored_catalogue(db)
        with write(db):
            setup.set_route_override(
                db, cat, item=item, region=region, unit=unit, now=common.now_ms(), by=AUDIT_BY
            )
    except (NoCatalogue, setup.SetupError) as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "item": item, "region": region, "unit": unit},
        as_json,
        f"{item} from {region} now goes to {unit}",
    )


@route.command("list")
@json_option
@pass_data
def route_list(data: Data, as_json: bool) -> None:
    """The region overrides: item, region, unit."""
    rows = setup.route_overrides(data.db())
    lines = [f"{r['item']}\t{r['region']}\t{r['unit']}" for r in rows]
    emit(rows, as_json, "\n".join(lines) or "no overrides")


@route.command("remove")
@click.argument("item")
@click.argument("region")
@json_option
@pass_data
def route_remove(data: Data, item: str, region: str, as_json: bool) -> None:
    """Drop the override of ITEM from REGION: its applications follow the catalogue again."""
    db = data.db()
    try:
        with write(db):
            unit = setup.remove_route_override(
                db, item=item, region=region, now=common.now_ms(), by=AUDIT_BY
            )
    except setup.SetupError as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "item": item, "region": region, "unit": unit},
        as_json,
        f"{item} from {region} no longer goes to {unit}: the catalogue's route applies",
    )
