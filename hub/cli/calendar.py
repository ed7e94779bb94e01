"""The working-day calendar: ``calendar load`` an operator's holiday schedule."""

from __future__ import annotations

from pathlib import Path

import click

from hub import setup
from hub.cli import common
from hub.cli.common import Data, emit, json_option, pass_data, refuse
from hub.store import write


@click.group()
def calendar() -> None:
    """The working-day calendar (statutory holidays and adjusted working days)."""


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, help="The file is that year's complete official schedule.")
@json_option
@pass_data
def calendar_load(data: Data, file: str, year: int | None, as_json: bool) -> None:
    """Load holiday / working-day overrides from a CSV (date,workday,name)."""
    from hub.workdays import CalendarError

    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{file} is not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    db = data.db()
    try:
        with write(db):
            count = setup.load_calendar(db, text, year=year, now=common.now_ms())
    except (CalendarError, setup.SetupError) as exc:
        raise refuse(exc) from None
    emit({"ok": True, "days": count, "year": year}, as_json, f"{count} days loaded")
