"""``daiban-hub``: set up, run and look after a hub. One module per resource; this one makes
the group and adds their commands.

Exit codes: 0 done; 1 refused (bad input, nothing changed; the message says why); 2 usage.
"""

from __future__ import annotations

import click

from hub.cli import (
    calendar,
    catalogue,
    delivery,
    devices,
    outlets,
    ratings,
    server,
    setup,
    stats,
    users,
)
from hub.cli.common import CONTEXT_SETTINGS, Data


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


for _command in (
    setup.init,
    setup.protocol,
    server.serve,
    server.sweep,
    outlets.outlet,
    devices.enroll,
    devices.device,
    users.user,
    catalogue.catalogue,
    catalogue.route,
    calendar.calendar,
    delivery.carrier,
    delivery.shipment,
    ratings.followup,
    ratings.rating,
    ratings.followup_days,
    stats.stats_command,
):
    cli.add_command(_command)


def main() -> None:  # pragma: no cover - console entry point
    cli()
