"""``daiban-hub``: the hub's command line."""

from __future__ import annotations

import json

import click

import sync

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="daiban")
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    default="daiban-data/hub",
    show_default=True,
    help="Folder holding the hub's database, keys and blobs.",
)
@click.pass_context
def cli(ctx: click.Context, data: str) -> None:
    """Daiban hub: receives outlets' batches, routes them, tracks time limits."""
    ctx.obj = data


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
