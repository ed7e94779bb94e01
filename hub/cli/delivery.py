"""Results back to citizens: carriers (``carrier``) and shipments (``shipment``)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hub import delivery, store
from hub.carriers import (
    CarrierError,
    manual_event_from,
    new_secret,
    normalise_carrier,
    parse_time,
    remove_carrier,
)
from hub.cli.common import ACTOR, AUDIT_BY, REFUSALS, emit, hub_of, json_option, refuse
from hub.demo import simcarrier
from hub.store import write


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
    hub = hub_of(ctx)
    try:
        code = normalise_carrier(code)
    except CarrierError as exc:
        raise refuse(exc) from None
    if not name.strip():
        raise click.ClickException("--name: a carrier needs a name")
    secret = new_secret()
    with write(hub.db):
        if store.shipments.get_carrier(hub.db, code) is not None:
            raise click.ClickException(f"carrier {code} already exists (rotate its secret?)")
        store.shipments.add_carrier(
            hub.db, code=code, name=name.strip(), secret=secret, now=hub.now_ms
        )
    emit(
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
    hub = hub_of(ctx)
    code = code.upper()
    secret = new_secret()
    with write(hub.db):
        if store.shipments.get_carrier(hub.db, code) is None:
            raise click.ClickException(f"no carrier {code}")
        store.shipments.set_carrier_secret(hub.db, code, secret)
    emit({"ok": True, "code": code, "secret": secret}, as_json, f"new secret: {secret}")


@carrier.command("list")
@json_option
@click.pass_context
def carrier_list(ctx: click.Context, as_json: bool) -> None:
    """The carriers registered for webhooks (secrets are never shown again)."""
    rows = store.shipments.list_carriers(hub_of(ctx).db)
    lines = [
        f"{r['code']}\t{r['name']}{chr(9) + 'DISABLED' if r['disabled'] else ''}" for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no carriers")


@carrier.command("remove")
@click.argument("code")
@json_option
@click.pass_context
def carrier_remove(ctx: click.Context, code: str, as_json: bool) -> None:
    """Remove a carrier; one that past shipments name is disabled instead (its webhook is
    refused). Refused while any of its shipments is still in the post."""
    hub = hub_of(ctx)
    try:
        with write(hub.db):
            outcome = remove_carrier(hub.db, code, now=hub.now_ms, by=AUDIT_BY)
    except CarrierError as exc:
        raise refuse(exc) from None
    value = code.strip().upper()
    words = {
        "removed": f"carrier {value} removed",
        "disabled": f"carrier {value} disabled (its past shipments keep its name): its webhook"
        " is refused and it is no longer offered for posting",
    }
    emit({"ok": True, "code": value, "outcome": outcome}, as_json, words[outcome])


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
    hub = hub_of(ctx)
    row = store.shipments.get_carrier(hub.db, code.upper())
    if row is None:
        raise click.ClickException(f"no carrier {code}: add it with `daiban-hub carrier add`")
    shipment = store.shipments.shipment_by_tracking(hub.db, row["code"], tracking.upper())
    posted = shipment and shipment["posted_at"]
    start = datetime.fromtimestamp(posted / 1000, UTC) if posted else None
    end = datetime.fromtimestamp(hub.now_ms / 1000, UTC)  # the command's clock, as everywhere
    events = simcarrier.sequence(tracking, outcome, start=start, end=end)
    if shuffle:
        events = [*reversed(events), events[0]]
    answers = simcarrier.push(url, row["code"], row["secret"], events)
    failed = [a for a in answers if a["status"] != 200]
    emit(
        answers,
        as_json,
        "\n".join(
            f"{e['event']}\t{a['status']}\t{a.get('outcome') or a.get('error')}"
            for e, a in zip(events, answers, strict=True)
        ),
    )
    if failed:
        raise SystemExit(1)


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
    hub = hub_of(ctx)
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
        raise refuse(exc) from None
    emit(delivery.view(hub, row), as_json, f"{row['carrier']} {row['tracking']}: mailed")


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
    hub = hub_of(ctx)
    data = {"event": event, "at": at, "location": location, "note": note, "tracking": tracking}
    try:
        parsed = manual_event_from(data, now_ms=hub.now_ms)
        with write(hub.db):
            row = delivery.find(hub, normalise_carrier(carrier_code), parsed.tracking)
            outcome = delivery.record(hub, row, parsed, source=ACTOR)
    except REFUSALS as exc:
        raise refuse(exc) from None
    emit({"ok": True, "outcome": outcome}, as_json, f"{parsed.tracking} {event}: {outcome}")


@shipment.command("list")
@click.option("--state", type=click.Choice(["pending", "open", "delivered", "returned"]))
@click.option("--stale", is_flag=True, help="Only those with no carrier news for days.")
@json_option
@click.pass_context
def shipment_list(ctx: click.Context, state: str | None, stale: bool, as_json: bool) -> None:
    """Shipments, newest first, with their latest carrier event."""
    rows = store.shipments.list_shipments(hub_of(ctx).db, state=state, stale=stale)
    for row in rows:
        row.pop("address_sealed", None)
        row.pop("address_record", None)
    lines = [
        f"{r['receipt']}\t{r['state']}\t{r['carrier'] or '-'} {r['tracking'] or '-'}\t"
        f"{r['last_event'] or ''}"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no shipments")
