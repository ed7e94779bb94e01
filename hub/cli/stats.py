"""``stats``: the statistics report, as the API's."""

from __future__ import annotations

import click

from hub import stats
from hub.cli.common import REFUSALS, emit, hub_of, json_option, refuse


@click.command("stats")
@click.option("--by", type=click.Choice(stats.GROUPINGS), default="department", show_default=True)
@click.option("--from", "start", help="First day (default: 30 days before --to).")
@click.option("--to", "end", help="Last day (default: today).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for spreadsheets.")
@json_option
@click.pass_context
def stats_command(
    ctx: click.Context, by: str, start: str | None, end: str | None, as_csv: bool, as_json: bool
) -> None:
    """Received, completed, on time, mail and satisfaction figures (docs/statistics.md)."""
    hub = hub_of(ctx)
    try:
        report = stats.statistics(
            hub.db, hub.catalogue, by=by, start=start, end=end, today=hub.today
        )
    except REFUSALS as exc:
        raise refuse(exc) from None
    if as_csv:
        click.echo(stats.to_csv(report).lstrip("\ufeff"), nl=False)
        return
    lines = [f"{report['by']} {report['from']}..{report['to']}"]
    for row in [*report["rows"], report["total"]]:
        rate = row["on_time_rate"]
        lines.append(
            f"{row['key']}\treceived {row['received']}\tcompleted {row['completed']}\t"
            f"on time {'-' if rate is None else f'{rate:.1%}'}\tmailed {row['mailed']}\t"
            f"ratings {row['ratings']}"
        )
    emit(report, as_json, "\n".join(lines))
