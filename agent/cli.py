"""``daiban-agent``: the outlet's command line.

Each command parses, calls the module that holds the work (``enrolment``, ``capture``,
``rounds`` for a sync round, ``schedule`` and ``web.server`` for ``serve``) and prints.

Exit codes (scripts rely on them):
  0  done (for ``sync``: everything sent and the feed is current)
  1  refused: bad input or a local problem; nothing was stored
  2  usage error
  3  the hub is unreachable (or something else answered): all work is kept for later
  4  the hub refused the request (e.g. this device was revoked)
  5  another sync round is running on this home folder
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import phonenumbers
from sqlite_utils import Database

from sync import records as r
from sync import validators
from sync.clock import china_time
from sync.errors import InvalidValue

from . import capture as cap
from . import enrolment, rounds
from .client import HubClient, HubRefused, HubUnavailable
from .clock import now_ms
from .home import Home, SyncBusy
from .messages import text
from .rounds import EXIT_BUSY, EXIT_HUB_REFUSED, EXIT_OFFLINE, EXIT_REFUSED
from .store import local, meta, outbox, write
from .store import staff as staff_store
from .version import agent_version

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


class Ctx:
    def __init__(self, home: str, lang: str) -> None:
        self.home = Home(home)
        self.lang = lang
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = self.home.open()
        return self._db

    def fail(
        self, code: str, default: str, exit_code: int = EXIT_REFUSED, **params: Any
    ) -> NoReturn:
        click.echo(
            f"错误: {text(code, self.lang, default, **params)}"
            if self.lang == "zh"
            else f"Error: {text(code, self.lang, default, **params)}",
            err=True,
        )
        sys.exit(exit_code)

    def say(self, code: str, default: str = "", **params: Any) -> str:
        return text(code, self.lang, default, **params)


pass_ctx = click.make_pass_decorator(Ctx)


def emit(value: Any, as_json: bool, words: str) -> None:
    click.echo(json.dumps(value, ensure_ascii=False) if as_json else words)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="daiban")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    default="daiban-data/agent",
    show_default=True,
    envvar="DAIBAN_AGENT_HOME",
    help="Folder holding this device's database, key and scans.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    envvar="DAIBAN_LANG",
    show_default=True,
    help="Language of messages for staff.",
)
@click.pass_context
def cli(ctx: click.Context, home: str, lang: str) -> None:
    """Daiban agent: record applications offline at an outlet and sync them to the hub."""
    ctx.obj = Ctx(home, lang)


def refuse_capture(ctx: Ctx, exc: cap.CaptureError) -> NoReturn:
    ctx.fail(exc.code, exc.message, **exc.params)


# --- enrolment ----------------------------------------------------------------------------


@cli.command("enroll")
@click.argument("hub_url")
@click.argument("code")
@click.option("--label", default="", help="A name for this device (e.g. 前台电脑1).")
@json_option
@pass_ctx
def enroll_cmd(ctx: Ctx, hub_url: str, code: str, label: str, as_json: bool) -> None:
    """Enrol this device at the hub with a one-time CODE from the hub operator."""
    try:
        body = enrolment.enrol(ctx.home, ctx.db, hub_url, code, label=label)
    except SyncBusy:
        ctx.fail("sync.busy", "another sync round is running on this home folder", EXIT_BUSY)
    except enrolment.OutletChange as exc:
        ctx.fail(
            "enroll.outlet_change",
            "unsynced records belong to another outlet",
            count=exc.unsent,
            outlet=exc.outlet,
        )
    except HubUnavailable as exc:
        ctx.fail("enroll.offline", str(exc), EXIT_OFFLINE, reason=str(exc))
    except HubRefused as exc:
        name = exc.code if exc.code.startswith("enroll.") else f"enroll.{exc.code}"
        ctx.fail(name, exc.message, EXIT_HUB_REFUSED)
    outlet = body["outlet"]
    emit(
        {"ok": True, "device_id": body["device_id"], "outlet": outlet["code"]},
        as_json,
        f"已注册：设备 {body['device_id']}，网点 {outlet['name']}（{outlet['code']}）"
        if ctx.lang == "zh"
        else f"enrolled as {body['device_id']} at {outlet['name']} ({outlet['code']})",
    )


# --- capture ------------------------------------------------------------------------------


def _material_files(values: tuple[str, ...], ctx: Ctx) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for value in values:
        code, sep, path = value.partition("=")
        if not sep or not code or not path:
            ctx.fail("material.format", f"--material takes CODE=FILE, got {value!r}", path=value)
        files.setdefault(code.strip(), []).append(Path(path))
    return files


def _check_readable(files: dict[str, list[Path]], ctx: Ctx) -> None:
    """Refuse before anything is copied: a missing file must not leave the others stored."""
    for paths in files.values():
        for path in paths:
            if not path.is_file() or not os.access(path, os.R_OK):
                ctx.fail("material.file", f"cannot read {path}", path=str(path))


@cli.command("new")
@click.option("--item", help="Service item code from the catalogue.")
@click.option("--name", help="Applicant's name.")
@click.option(
    "--id-type",
    default="resident_id",
    show_default=True,
    type=click.Choice(
        ["resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permanent_id"]
    ),
)
@click.option("--id-number", help="Applicant's ID number.")
@click.option("--phone", help="Applicant's mobile number.")
@click.option("--pickup", is_flag=True, help="The citizen collects the result at the outlet.")
@click.option("--mail-to", help="Mail the result to this address.")
@click.option("--recipient", help="Who receives the mail (default: the applicant).")
@click.option("--postcode", default="")
@click.option(
    "--material",
    "materials",
    multiple=True,
    metavar="CODE=FILE",
    help="A scanned material (repeat for more).",
)
@click.option("--paper", multiple=True, metavar="CODE", help="A material seen on paper, no scan.")
@click.option(
    "--promise",
    multiple=True,
    metavar="CODE",
    help="A material the applicant promises to bring later (容缺).",
)
@click.option("--runner", "--staff", "staff", default=None, help="Runner or clerk id.")
@click.option("--region", help="Applicant's county (6 digits); default: the outlet's.")
@click.option("--note", default="")
@click.option(
    "--from-json",
    "from_json",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the fields from a JSON file (same names, materials as {CODE: [files]}).",
)
@json_option
@pass_ctx
def new(
    ctx: Ctx,
    item: str | None,
    name: str | None,
    id_type: str,
    id_number: str | None,
    phone: str | None,
    pickup: bool,
    mail_to: str | None,
    recipient: str | None,
    postcode: str,
    materials: tuple[str, ...],
    paper: tuple[str, ...],
    promise: tuple[str, ...],
    staff: str | None,
    region: str | None,
    note: str,
    from_json: str | None,
    as_json: bool,
) -> None:
    """Record a new application (works offline); prints its id and receipt number."""
    fields: dict[str, Any] = {}
    if from_json:
        try:
            fields = json.loads(Path(from_json).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            ctx.fail("record.invalid", f"cannot read {from_json}: {exc}")
        if not isinstance(fields, dict):
            ctx.fail("record.invalid", f"{from_json} must hold a JSON object")
    scans = _material_files(materials, ctx)
    for code, paths in (fields.get("materials") or {}).items():
        scans.setdefault(code, []).extend(Path(p) for p in paths)
    mail = mail_to if mail_to is not None else fields.get("mail_to")
    if pickup and mail:
        raise click.UsageError("choose --pickup or --mail-to, not both")
    if not pickup and not mail and not fields.get("pickup"):
        raise click.UsageError("choose --pickup or --mail-to ADDRESS")
    required = {
        "item": item or fields.get("item"),
        "name": name or fields.get("name"),
        "id_number": id_number or fields.get("id_number"),
        "phone": phone or fields.get("phone"),
    }
    missing = [k for k, v in required.items() if not v]
    if missing:
        raise click.UsageError(f"missing: {', '.join('--' + m.replace('_', '-') for m in missing)}")
    _check_readable(scans, ctx)
    application = cap.NewApplication(
        item=str(required["item"]),
        name=str(required["name"]),
        id_number=str(required["id_number"]),
        phone=str(required["phone"]),
        staff=staff or fields.get("staff") or fields.get("runner") or "clerk",
        id_type=fields.get("id_type", id_type),
        mail_to=mail,
        recipient=recipient or fields.get("recipient"),
        postcode=postcode or fields.get("postcode", ""),
        region=region or fields.get("region"),
        scans=scans,
        paper=list(paper) + list(fields.get("paper", [])),
        promised=list(promise) + list(fields.get("promised", [])),
        note=note or fields.get("note", ""),
    )
    try:
        made = cap.capture(ctx.db, ctx.home, application, now_ms=now_ms())
    except cap.CaptureError as exc:
        refuse_capture(ctx, exc)
    emit(
        made,
        as_json,
        f"回执号 {made['receipt']}（编号 {made['id']}）"
        if ctx.lang == "zh"
        else f"receipt {made['receipt']} (id {made['id']})",
    )


@cli.command()
@click.argument("application")
@click.option("--material", "materials", multiple=True, metavar="CODE=FILE")
@click.option("--paper", multiple=True, metavar="CODE")
@click.option("--correction", is_flag=True, help="A correction rather than a requested supplement.")
@click.option("--staff", default="clerk")
@click.option("--note", default="")
@json_option
@pass_ctx
def supplement(
    ctx: Ctx,
    application: str,
    materials: tuple[str, ...],
    paper: tuple[str, ...],
    correction: bool,
    staff: str,
    note: str,
    as_json: bool,
) -> None:
    """Hand in materials the hub asked for (or correct an application)."""
    files = _material_files(materials, ctx)
    _check_readable(files, ctx)
    try:
        made = cap.amend(
            ctx.db,
            ctx.home,
            application,
            staff=staff,
            reason="correction" if correction else "supplement",
            scans=files,
            paper=list(paper),
            note=note,
            now_ms=now_ms(),
        )
    except cap.CaptureError as exc:
        refuse_capture(ctx, exc)
    emit(made, as_json, ctx.say("queued", f"queued {made['id']}", id=made["id"]))


@cli.command()
@click.argument("application")
@click.option("--collector", type=click.Choice(["applicant", "proxy"]), default="applicant")
@click.option("--proxy-name", default="", help="Who collected it on the applicant's behalf.")
@click.option("--proxy-id-number", default="", help="The proxy's ID number (checked, sealed).")
@click.option("--staff", default="clerk")
@json_option
@pass_ctx
def pickup(
    ctx: Ctx,
    application: str,
    collector: str,
    proxy_name: str,
    proxy_id_number: str,
    staff: str,
    as_json: bool,
) -> None:
    """Confirm the citizen (or a proxy, named) collected the result, their ID checked."""
    try:
        made = cap.pickup(
            ctx.db,
            application,
            staff=staff,
            collector=collector,
            now_ms=now_ms(),
            proxy_name=proxy_name,
            proxy_id_number=proxy_id_number,
        )
    except cap.CaptureError as exc:
        refuse_capture(ctx, exc)
    emit(made, as_json, ctx.say("queued", f"queued {made['id']}", id=made["id"]))


@cli.command()
@click.argument("application")
@click.argument("level", type=click.Choice(list(r.RATING_LEVELS)))
@click.option("--comment", default="")
@click.option("--staff", default="clerk")
@json_option
@pass_ctx
def rate(ctx: Ctx, application: str, level: str, comment: str, staff: str, as_json: bool) -> None:
    """Record the citizen's rating (very_satisfied ... very_dissatisfied)."""
    try:
        made = cap.rate(
            ctx.db, application, staff=staff, level=level, comment=comment, now_ms=now_ms()
        )
    except cap.CaptureError as exc:
        refuse_capture(ctx, exc)
    emit(made, as_json, ctx.say("queued", f"queued {made['id']}", id=made["id"]))


# --- sync ---------------------------------------------------------------------------------


def hub_client(ctx: Ctx) -> HubClient:
    """This home's hub client; refuses (exit 1) when the device is not enrolled."""
    try:
        return rounds.make_client(ctx.home, ctx.db)
    except rounds.NotEnrolled:
        ctx.fail("not_enrolled", "this device is not enrolled yet")


def progress_line(stage: str, done: int, total: int) -> None:
    if total > 1:
        click.echo(f"\r{stage}: {done}/{total}", nl=False, err=True)


@cli.command("sync")
@json_option
@pass_ctx
def sync_cmd(ctx: Ctx, as_json: bool) -> None:
    """Run one sync round now. Exit 0 synced, 3 hub unreachable (work kept), see --help."""
    show_progress = sys.stderr.isatty() and not as_json
    hub = hub_client(ctx)
    try:
        code, summary = rounds.run_round(
            ctx.home, ctx.db, hub, ctx.lang, progress=progress_line if show_progress else None
        )
    finally:
        if show_progress:
            click.echo(err=True)  # end the progress line
    if code:
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
        else:
            click.echo(summary["error"], err=True)
        sys.exit(code)
    words = ctx.say(
        "sync.done",
        pushed=summary["pushed"],
        pulled=summary["pulled"],
        uploaded=summary["uploaded"],
    )
    if summary["attention"]:
        words += "\n" + ctx.say("sync.attention", count=summary["attention"])
    emit(summary, as_json, words)


# --- looking --------------------------------------------------------------------------------


def _view(app: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": app["id"],
        "receipt": app["receipt"],
        "item": app["item"],
        "item_name": app["item_name"],
        "sync_state": app["sync_state"],
        "hub_status": app["hub_status"],
        "unit": app["unit"],
        "due_date": app["due_date"],
        "due_provisional": bool(app["due_provisional"]),
        "delivery": app["delivery"],
        "tracking": app["tracking"],
        "last_mail_event": app["last_mail_event"],
        "applicant": json.loads(app["applicant_masked"]),
        "captured_at": app["captured_at"],
        "staff": app["staff"],
    }


@cli.command("list")
@click.option("--sync-state", type=click.Choice(["queued", "sent", "rejected", "conflict"]))
@click.option("--hub-status")
@json_option
@pass_ctx
def list_cmd(ctx: Ctx, sync_state: str | None, hub_status: str | None, as_json: bool) -> None:
    """List applications (newest first) with their sync state and hub status."""
    rows = [
        _view(a)
        for a in local.list_applications(ctx.db, sync_state=sync_state, hub_status=hub_status)
    ]
    lines = [
        f"{a['receipt']}  {a['item_name']}  {a['applicant']['name']}  {a['sync_state']}"
        f"  {a['hub_status'] or '-'}  {a['due_date'] or ''}"
        for a in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "-")


@cli.command()
@click.argument("application")
@json_option
@pass_ctx
def show(ctx: Ctx, application: str, as_json: bool) -> None:
    """Show an application and its timeline (by id or receipt number)."""
    app = local.find_application(ctx.db, application)
    if app is None:
        ctx.fail("application.unknown", f"no application {application}", key=application)
    view = _view(app)
    view["timeline"] = local.timeline(ctx.db, app["id"])
    view["attention"] = [a for a in local.open_attention(ctx.db) if a["application"] == app["id"]]
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False))
        return
    click.echo(f"{view['receipt']}  {view['item_name']}  {view['applicant']['name']}")
    click.echo(
        f"  sync: {view['sync_state']}  hub: {view['hub_status'] or '-'}  "
        f"unit: {view['unit'] or '-'}  due: {view['due_date'] or '-'}"
        f"{' (provisional)' if view['due_provisional'] else ''}"
    )
    if view["tracking"]:
        click.echo(f"  mail: {view['tracking']} {view['last_mail_event'] or ''}")
    for event in view["timeline"]:
        at = china_time(event["at"])
        click.echo(f"  {at}  [{event['source']}] {event['event']}  {event['detail']}")
    for item in view["attention"]:
        click.echo(f"  ! {item['kind']}: " + "; ".join(x["message"] for x in item["reasons"]))


@cli.command()
@json_option
@pass_ctx
def status(ctx: Ctx, as_json: bool) -> None:
    """This device, its hub, the last sync, the backlog and what needs attention."""
    db = ctx.db
    device = meta.get(db, "device")
    last = outbox.last_round(db)
    catalogue = local.catalogue(db)
    report = {
        "enrolled": bool(device),
        "device_id": device["device_id"] if device else None,
        "outlet": device["outlet"] if device else None,
        "hub_url": device["hub_url"] if device else None,
        "agent_version": agent_version(),
        "unsent": outbox.count(db),
        "scans_to_upload": len(local.scans_to_upload(db)),
        "last_sync_at": meta.get(db, "last_sync_at"),
        "last_round": last,
        "catalogue_version": catalogue["version"] if catalogue else None,
        "clock_offset_ms": meta.get(db, "clock_offset_ms", 0),
        "attention": local.open_attention(db),
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    if not device:
        click.echo(ctx.say("not_enrolled"))
        return
    last_sync = report["last_sync_at"]
    when = china_time(last_sync) if last_sync else "-"
    click.echo(f"device {report['device_id']} at {device['outlet']['code']} → {report['hub_url']}")
    click.echo(
        f"last sync {when}; unsent {report['unsent']}; scans to upload "
        f"{report['scans_to_upload']}; catalogue v{report['catalogue_version']}"
    )
    if last and last["outcome"] != "ok":
        click.echo(f"last round: {last['outcome']} {last['message']}")
    for item in report["attention"]:
        click.echo(
            f"! {item['kind']} {item['application'] or item['record_id']}: "
            + "; ".join(x["message"] for x in item["reasons"])
        )


# --- the outlet's phone, printed on receipts ----------------------------------------------

_FIXED = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def outlet_phone_number(text: str) -> str:
    """A mainland mobile number (its 11 digits, as ``validators.mobile`` reads it) or a landline
    with its area code (``028-85551234``); ValueError for anything else."""
    try:
        return validators.mobile(text)
    except InvalidValue:
        pass
    try:
        parsed = phonenumbers.parse("".join(text.split()), "CN")
    except phonenumbers.NumberParseException:
        raise ValueError(text) from None
    area = phonenumbers.length_of_geographical_area_code(parsed)
    if not (
        parsed.country_code == 86
        and area
        and phonenumbers.is_valid_number(parsed)
        and phonenumbers.number_type(parsed) in _FIXED
    ):
        raise ValueError(text)
    national = str(parsed.national_number)
    return f"0{national[:area]}-{national[area:]}"


@cli.command("outlet-phone")
@click.argument("number", required=False)
@click.option("--clear", is_flag=True, help="Print no outlet phone on receipts any more.")
@json_option
@pass_ctx
def outlet_phone(ctx: Ctx, number: str | None, clear: bool, as_json: bool) -> None:
    """The outlet's phone that receipts print, for citizens to follow their application: set it
    to NUMBER (a mobile number, or a landline with its area code such as 028-85551234), remove
    it with --clear, or show it."""
    db = ctx.db
    if number is not None and clear:
        raise click.UsageError("give a NUMBER or --clear, not both")
    if number is not None:
        try:
            phone = outlet_phone_number(number)
        except ValueError:
            ctx.fail("outlet_phone.invalid", f"{number!r} is not a phone number", phone=number)
        with write(db):
            meta.put(db, "outlet_phone", phone)
        emit({"ok": True, "phone": phone}, as_json, ctx.say("outlet_phone.set", phone, phone=phone))
        return
    if clear:
        with write(db):
            meta.delete(db, "outlet_phone")
        emit({"ok": True, "phone": None}, as_json, ctx.say("outlet_phone.cleared"))
        return
    phone = meta.get(db, "outlet_phone")
    emit({"phone": phone}, as_json, phone or ctx.say("outlet_phone.none"))


@cli.command()
@click.option(
    "--interval", default=5.0, show_default=True, type=float, help="Minutes between sync rounds."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address of the pages (0.0.0.0 to reach them from phones on the outlet's Wi-Fi).",
)
@click.option("--port", default=8701, show_default=True, type=int, help="Port of the pages.")
@click.option("--no-pages", is_flag=True, help="Only sync in the background; serve no pages.")
@click.option("--once", is_flag=True, hidden=True)
@pass_ctx
def serve(ctx: Ctx, interval: float, host: str, port: int, no_pages: bool, once: bool) -> None:
    """Serve the pages for staff and sync in the background (every --interval minutes, and
    soon after new work). Stop with Ctrl-C."""
    from .schedule import run_forever

    hub_client(ctx)  # fail fast when not enrolled
    sync_now = rounds.sync_callback(ctx.home)

    def sync() -> rounds.Outcome:
        return sync_now(ctx.lang)

    if no_pages or once:
        run_forever(ctx.home, sync, interval_minutes=interval, once=once)
        return
    # The CLI reaches the pages only here, through the server module (tests/test_layers.py).
    from .web.server import serve_pages

    try:
        serve_pages(
            ctx.home, sync, interval_minutes=interval, host=host, port=port, sync_now=sync_now
        )
    except OSError as exc:  # the port is taken, or the address is not this machine's
        ctx.fail("serve.listen", f"cannot listen on {host}:{port}: {exc}", host=host, port=port)


# --- staff who sign in to the pages ---------------------------------------------------------


@cli.group()
def staff() -> None:
    """Clerks and runners who sign in to the pages with a PIN."""


@staff.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The name shown on the pages.")
@click.option("--role", type=click.Choice(list(staff_store.ROLES)), required=True)
@click.option(
    "--pin",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="4 to 8 digits (asked for when left out).",
)
@json_option
@pass_ctx
def staff_add(ctx: Ctx, code: str, name: str, role: str, pin: str, as_json: bool) -> None:
    """Add a staff member (CODE is what capture records, e.g. runner-7)."""
    try:
        with write(ctx.db):
            staff_store.add(ctx.db, code=code, name=name, role=role, pin=pin, now=now_ms())
    except staff_store.StaffError as exc:
        ctx.fail(exc.code, str(exc), who=code)
    emit(
        {"ok": True, "code": code, "name": name, "role": role},
        as_json,
        ctx.say("staff.added", f"added {code} ({name}, {role})", who=code, name=name, role=role),
    )


@staff.command("list")
@json_option
@pass_ctx
def staff_list(ctx: Ctx, as_json: bool) -> None:
    """List staff members (never their PINs)."""
    rows = staff_store.listing(ctx.db)
    lines = [
        f"{s['code']}  {s['name']}  {s['role']}" + ("  disabled" if s["disabled_at"] else "")
        for s in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "-")


@staff.command("disable")
@click.argument("code")
@json_option
@pass_ctx
def staff_disable(ctx: Ctx, code: str, as_json: bool) -> None:
    """Disable a staff member: they can no longer sign in (their records stay)."""
    try:
        with write(ctx.db):
            staff_store.disable(ctx.db, code, now=now_ms())
    except staff_store.StaffError as exc:
        ctx.fail(exc.code, str(exc), who=code)
    emit(
        {"ok": True, "code": code}, as_json, ctx.say("staff.disabled", f"disabled {code}", who=code)
    )
