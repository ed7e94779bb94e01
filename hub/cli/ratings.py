"""Ratings (好差评): follow-ups of bad ones, excluding one, the per-city follow-up days."""

from __future__ import annotations

import click

from hub import ratings, store
from hub.cli.common import ACTOR, REFUSALS, emit, hub_of, json_option, refuse
from hub.store import write


@click.group()
def followup() -> None:
    """Follow-ups of bad ratings (不满意, 非常不满意)."""


@followup.command("list")
@click.option("--state", type=click.Choice(["open", "resolved", "excluded"]), default="open")
@json_option
@click.pass_context
def followup_list(ctx: click.Context, state: str, as_json: bool) -> None:
    """Follow-ups of bad ratings, soonest due first, overdue ones marked."""
    hub = hub_of(ctx)
    rows = [ratings.view(hub, r) for r in store.ratings.list_followups(hub.db, state=state)]
    lines = [
        f"{r['id']}\t{r['receipt']}\tdue {r['due_date']}{' OVERDUE' if r['overdue'] else ''}\t"
        f"{r['level']}\t{r['comment']}"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or f"no {state} follow-ups")


@followup.command("resolve")
@click.argument("followup_id", type=int)
@click.option("--note", required=True, help="What was done about the complaint.")
@json_option
@click.pass_context
def followup_resolve(ctx: click.Context, followup_id: int, note: str, as_json: bool) -> None:
    """Close a follow-up with what was done about the complaint."""
    hub = hub_of(ctx)
    try:
        with write(hub.db):
            row = ratings.resolve(hub, followup_id, note=note, by=ACTOR)
    except REFUSALS as exc:
        raise refuse(exc) from None
    emit(row, as_json, f"follow-up {followup_id} resolved")


@click.group()
def rating() -> None:
    """Citizens' ratings."""


@rating.command("exclude")
@click.argument("rating_id")
@click.option("--reason", required=True, help="Why the rating is mistaken or malicious.")
@json_option
@click.pass_context
def rating_exclude(ctx: click.Context, rating_id: str, reason: str, as_json: bool) -> None:
    """Exclude a mistaken or malicious rating from the figures (its follow-up closes)."""
    hub = hub_of(ctx)
    try:
        with write(hub.db):
            row = ratings.exclude(hub, rating_id, reason=reason, by=ACTOR)
    except REFUSALS as exc:
        raise refuse(exc) from None
    emit(row, as_json, f"rating {rating_id} excluded")


@click.command("followup-days")
@click.argument("days", type=click.IntRange(1, 30), required=False)
@click.option("--city", help="City division code, like 510100 (default: list every city).")
@json_option
@click.pass_context
def followup_days(ctx: click.Context, days: int | None, city: str | None, as_json: bool) -> None:
    """Set (or show) a city's working days to follow up a bad rating."""
    hub = hub_of(ctx)
    if days is None:
        rows = store.ratings.city_settings(hub.db)
        lines = [f"{r['city']}\t{r['followup_days']}" for r in rows]
        emit(rows, as_json, "\n".join(lines) or "no city rules: the hub default applies")
        return
    if not city or not (len(city) == 6 and city.isdigit() and city.endswith("00")):
        raise click.ClickException("--city: a city's 6-digit division code, like 510100")
    with write(hub.db):
        store.ratings.set_followup_days(hub.db, city, days)
    emit(
        {"ok": True, "city": city, "followup_days": days},
        as_json,
        f"{city}: bad ratings followed up within {days} working days",
    )
