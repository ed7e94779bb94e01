"""``daiban-hub`` commands for results back to citizens: carriers, shipments, follow-ups of
bad ratings, per-city settings, statistics. Registered on the main group in hub/cli.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from hub import delivery, ratings, stats, store
from hub.carriers import (
    CarrierError,
    manual_event_from,
    new_secret,
    normalise_carrier,
    parse_time,
)
from hub.cases import CaseError, Hub
from hub.context import NoCatalogue, build_hub, stored_catalogue
from hub.demo import simcarrier
from hub.store import write

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
ACTOR = "cli(operator)"


def _emit(value: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(value, ensure_ascii=False) if as_json else text)


def _hub(ctx: click.Context) -> Hub:
    from hub.cli import now_ms

    db = ctx.obj.db()
    try:
        cat = stored_catalogue(db)
    except NoCatalogue as exc:
        raise _refuse(exc) from None
    return build_hub(db, at_ms=now_ms(), cat=cat)


def _refuse(exc: Exception) -> click.ClickException:
    return click.ClickException(getattr(exc, "message", None) or str(exc))


REFUSALS = (CarrierError, CaseError, stats.StatsError)


# --- carriers --------------------------------------------------------------------------------


@click.group()
def carrier() -> None:
    """Carriers that push tracking events to the hub's webhook."""


@carrier.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Shown to operators, like 中国邮政EMS.")
@json_option
@click.pass_context
def carrier_add(ctx: click.Context, code: str, name: str, as_json: bool) -> None:
    """Register a carrier; prints its webhook secret (shown once: give it to the carrier)."""
    hub = _hub(ctx)
    try:
        code = normalise_carrier(code)
    except CarrierError as exc:
        raise _refuse(exc) from None
    if not name.strip():
        raise click.ClickException("--name: a carrier needs a name")
    secret = new_secret()
    with write(hub.db):
        if store.shipments.get_carrier(hub.db, code) is not None:
            raise click.ClickException(f"carrier {code} already exists (rotate its secret?)")
        store.shipments.add_carrier(
            hub.db, code=code, name=name.strip(), secret=secret, now=hub.now_ms
        )
    _emit(
        {"ok": True, "code": code, "secret": secret},
        as_json,
        f"carrier {code} added; webhook secret (shown once): {secret}\n"
        f"it posts to /api/v1/carriers/{code}/events (docs/webhook.md)",
    )


@carrier.command("rotate")
@click.argument("code")
@json_option
@click.pass_context
def carrier_rotate(ctx: click.Context, code: str, as_json: bool) -> None:
    """Give a carrier a new webhook secret; the old one stops working at once."""
    hub = _hub(ctx)
    code = code.upper()
    secret = new_secret()
    with write(hub.db):
        if store.shipments.get_carrier(hub.db, code) is None:
            raise click.ClickException(f"no carrier {code}")
        store.shipments.set_carrier_secret(hub.db, code, secret)
    _emit({"ok": True, "code": code, "secret": secret}, as_json, f"new secret: {secret}")


@carrier.command("list")
@json_option
@click.pass_context
def carrier_list(ctx: click.Context, as_json: bool) -> None:
    """The carriers registered for webhooks (secrets are never shown again)."""
    rows = store.shipments.list_carriers(_hub(ctx).db)
    _emit(rows, as_json, "\n".join(f"{r['code']}\t{r['name']}" for r in rows) or "no carriers")


@carrier.command("simulate")
@click.argument("code")
@click.argument("tracking")
@click.option(
    "--outcome",
    type=click.Choice(sorted(simcarrier.OUTCOMES)),
    default="delivered",
    show_default=True,
)
@click.option("--url", default="http://127.0.0.1:8700", show_default=True, help="The hub.")
@click.option("--shuffle", is_flag=True, help="Send the events out of order (and one twice).")
@json_option
@click.pass_context
def carrier_simulate(
    ctx: click.Context,
    code: str,
    tracking: str,
    outcome: str,
    url: str,
    shuffle: bool,
    as_json: bool,
) -> None:
    """Demo and tests only: replay a realistic event sequence to the webhook, signed."""
    hub = _hub(ctx)
    row = store.shipments.get_carrier(hub.db, code.upper())
    if row is None:
        raise click.ClickException(f"no carrier {code}: add it with `daiban-hub carrier add`")
    shipment = store.shipments.shipment_by_tracking(hub.db, row["code"], tracking.upper())
    posted = shipment and shipment["posted_at"]
    start = datetime.fromtimestamp(posted / 1000, UTC) if posted else None
    events = simcarrier.sequence(tracking, outcome, start=start, end=datetime.now(UTC))
    if shuffle:
        events = [*reversed(events), events[0]]
    answers = simcarrier.push(url, row["code"], row["secret"], events)
    failed = [a for a in answers if a["status"] != 200]
    _emit(
        answers,
        as_json,
        "\n".join(
            f"{e['event']}\t{a['status']}\t{a.get('outcome') or a.get('error')}"
            for e, a in zip(events, answers, strict=True)
        ),
    )
    if failed:
        raise SystemExit(1)


# --- shipments -------------------------------------------------------------------------------


@click.group()
def shipment() -> None:
    """Results in the post: enter tracking numbers and events, list what is under way."""


@shipment.command("post")
@click.argument("application")
@click.option("--carrier", "carrier_code", required=True)
@click.option("--tracking", required=True)
@click.option("--at", help="When it was posted (ISO 8601 with offset); default now.")
@json_option
@click.pass_context
def shipment_post(
    ctx: click.Context,
    application: str,
    carrier_code: str,
    tracking: str,
    at: str | None,
    as_json: bool,
) -> None:
    """Record that APPLICATION's result (id or receipt number) was posted."""
    hub = _hub(ctx)
    try:
        with write(hub.db):
            app = store.applications.find_application(hub.db, application)
            if app is None:
                raise click.ClickException(f"no application {application}")
            at_ms = parse_time(at) if at else None
            _, row = delivery.post(
                hub,
                app,
                carrier=carrier_code,
                tracking=tracking,
                actor=ACTOR,
                role="operator",
                at_ms=at_ms,
            )
    except REFUSALS as exc:
        raise _refuse(exc) from None
    _emit(delivery.view(hub, row), as_json, f"{row['carrier']} {row['tracking']}: mailed")


@shipment.command("event")
@click.argument("carrier_code")
@click.argument("tracking")
@click.argument("event")
@click.option("--at", required=True, help="When it happened (ISO 8601 with offset).")
@click.option("--location", default="")
@click.option("--note", default="")
@json_option
@click.pass_context
def shipment_event(
    ctx: click.Context,
    carrier_code: str,
    tracking: str,
    event: str,
    at: str,
    location: str,
    note: str,
    as_json: bool,
) -> None:
    """Manual entry of one carrier event (posted, in_transit, ..., delivered, returned)."""
    hub = _hub(ctx)
    data = {"event": event, "at": at, "location": location, "note": note, "tracking": tracking}
    try:
        parsed = manual_event_from(data, now_ms=hub.now_ms)
        with write(hub.db):
            row = delivery.find(hub, normalise_carrier(carrier_code), parsed.tracking)
            outcome = delivery.record(hub, row, parsed, source=ACTOR)
    except REFUSALS as exc:
        raise _refuse(exc) from None
    _emit({"ok": True, "outcome": outcome}, as_json, f"{parsed.tracking} {event}: {outcome}")


@shipment.command("list")
@click.option("--state", type=click.Choice(["pending", "open", "delivered", "returned"]))
@click.option("--stale", is_flag=True, help="Only those with no carrier news for days.")
@json_option
@click.pass_context
def shipment_list(ctx: click.Context, state: str | None, stale: bool, as_json: bool) -> None:
    """Shipments, newest first, with their latest carrier event."""
    rows = store.shipments.list_shipments(_hub(ctx).db, state=state, stale=stale)
    for row in rows:
        row.pop("address_sealed", None)
        row.pop("address_record", None)
    lines = [
        f"{r['receipt']}\t{r['state']}\t{r['carrier'] or '-'} {r['tracking'] or '-'}\t"
        f"{r['last_event'] or ''}"
        for r in rows
    ]
    _emit(rows, as_json, "\n".join(lines) or "no shipments")


# --- follow-ups, ratings, settings -----------------------------------------------------------


@click.group()
def followup() -> None:
    """Follow-ups of bad ratings (不满意, 非常不满意)."""


@followup.command("list")
@click.option("--state", type=click.Choice(["open", "resolved", "excluded"]), default="open")
@json_option
@click.pass_context
def followup_list(ctx: click.Context, state: str, as_json: bool) -> None:
    """Follow-ups of bad ratings, soonest due first, overdue ones marked."""
    hub = _hub(ctx)
    rows = [ratings.view(hub, r) for r in store.ratings.list_followups(hub.db, state=state)]
    lines = [
        f"{r['id']}\t{r['receipt']}\tdue {r['due_date']}{' OVERDUE' if r['overdue'] else ''}\t"
        f"{r['level']}\t{r['comment']}"
        for r in rows
    ]
    _emit(rows, as_json, "\n".join(lines) or f"no {state} follow-ups")


@followup.command("resolve")
@click.argument("followup_id", type=int)
@click.option("--note", required=True, help="What was done about the complaint.")
@json_option
@click.pass_context
def followup_resolve(ctx: click.Context, followup_id: int, note: str, as_json: bool) -> None:
    """Close a follow-up with what was done about the complaint."""
    hub = _hub(ctx)
    try:
        with write(hub.db):
            row = ratings.resolve(hub, followup_id, note=note, by=ACTOR)
    except REFUSALS as exc:
        raise _refuse(exc) from None
    _emit(row, as_json, f"follow-up {followup_id} resolved")


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
    hub = _hub(ctx)
    try:
        with write(hub.db):
            row = ratings.exclude(hub, rating_id, reason=reason, by=ACTOR)
    except REFUSALS as exc:
        raise _refuse(exc) from None
    _emit(row, as_json, f"rating {rating_id} excluded")


@click.command("followup-days")
@click.argument("days", type=click.IntRange(1, 30), required=False)
@click.option("--city", help="City division code, like 510100 (default: list every city).")
@json_option
@click.pass_context
def followup_days(ctx: click.Context, days: int | None, city: str | None, as_json: bool) -> None:
    """Set (or show) a city's working days to follow up a bad rating."""
    hub = _hub(ctx)
    if days is None:
        rows = store.ratings.city_settings(hub.db)
        lines = [f"{r['city']}\t{r['followup_days']}" for r in rows]
        _emit(rows, as_json, "\n".join(lines) or "no city rules: the hub default applies")
        return
    if not city or not (len(city) == 6 and city.isdigit() and city.endswith("00")):
        raise click.ClickException("--city: a city's 6-digit division code, like 510100")
    with write(hub.db):
        store.ratings.set_followup_days(hub.db, city, days)
    _emit(
        {"ok": True, "city": city, "followup_days": days},
        as_json,
        f"{city}: bad ratings followed up within {days} working days",
    )


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
    hub = _hub(ctx)
    try:
        report = stats.statistics(
            hub.db, hub.catalogue, by=by, start=start, end=end, today=hub.today
        )
    except REFUSALS as exc:
        raise _refuse(exc) from None
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
    _emit(report, as_json, "\n".join(lines))


COMMANDS = (carrier, shipment, followup, rating, followup_days, stats_command)
