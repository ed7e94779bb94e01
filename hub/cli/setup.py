"""Setting a hub up: ``init`` a data folder, and ``protocol``, the protocol it speaks."""

from __future__ import annotations

import json

import click

import sync
from hub import setup
from hub.catalogue import CatalogueError, load_catalogue_file, sample_catalogue
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse


@click.command()
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
        setup.init_data(data.root, cat, now=common.now_ms())
    except (CatalogueError, setup.SetupError) as exc:
        raise refuse(exc) from None
    emit(
        {"ok": True, "data": str(data.root), "items": len(cat.items)},
        as_json,
        f"hub initialised in {data.root} with {len(cat.items)} service items",
    )


@click.command()
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
