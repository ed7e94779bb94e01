"""What every command shares: the data folder, the clock, JSON output, refusals."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from sqlite_utils import Database

from hub.carriers import CarrierError
from hub.cases import CaseError, Hub
from hub.context import NoCatalogue, build_hub, stored_catalogue
from hub.settings import data_paths
from hub.stats import StatsError
from hub.store import open_db

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


ACTOR = "cli(operator)"
# Who the audit log names for what a command changes (as `device revoke` writes it).
AUDIT_BY = "cli"


def now_ms() -> int:
    """The commands' clock (Unix ms), read through this module so a test can set it."""
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
    """A refusal's own words (a domain error's message), as the one-line CLI message."""
    return click.ClickException(getattr(exc, "message", None) or str(exc))


def hub_of(ctx: click.Context) -> Hub:
    db = ctx.obj.db()
    try:
        cat = stored_catalogue(db)
    except NoCatalogue as exc:
        raise refuse(exc) from None
    return build_hub(db, at_ms=now_ms(), cat=cat)


# The domain refusals a delivery, rating or statistics command turns into its one-line message.
REFUSALS = (CarrierError, CaseError, StatsError)
