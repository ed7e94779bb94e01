"""The pages: today's work, a new application, its receipt, the lists, an application with
its timeline and actions, attention items marked as dealt with, and "sync now". Everything is
read from the local store."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from sync import paging, validators
from sync.catalogue import CatalogueItem, search_initials
from sync.clock import china_date, china_time
from sync.records import RATING_LEVELS
from webbase import listing
from webbase.qr import QUIET_ZONE, qr_code
from webbase.sessions import now_ms

from .. import capture as cap
from ..messages import text
from ..rounds import EXIT_BUSY, EXIT_HUB_REFUSED, EXIT_OFFLINE
from ..store import local, meta, outbox
from ..store import staff as staff_store
from . import forms, labels
from .auth import login_required, role_required, safe_next
from .db import get_db, home

bp = Blueprint("pages", __name__)


@bp.app_template_filter("when")
def when(ms: int | None) -> str:
    if not ms:
        return "-"
    return china_time(ms)


@bp.app_template_filter("day")
def day(ms: int | None) -> str:
    return china_date(ms).isoformat() if ms else "-"


@bp.app_context_processor
def words() -> dict[str, Any]:
    return {
        "labels": labels,
        "status_bar": status_bar,
        "rating_levels": RATING_LEVELS,
        "staff_name": staff_name,
        "revoked": device_revoked,
    }


def staff_name(code: str | None) -> str:
    """The name of the staff member with this code, as the pages show who did something
    (the code itself when this laptop does not know them)."""
    if not code:
        return "-"
    names: dict[str, str] | None = g.get("staff_names")
    if names is None:
        names = {row["code"]: row["name"] for row in staff_store.listing(get_db())}
        g.staff_names = names
    return names.get(code, code)


def device_revoked() -> bool:
    """Whether the hub has refused this laptop as revoked (capture.revoked), once a request."""
    if "revoked" not in g:
        g.revoked = cap.revoked(get_db()) is not None
    return bool(g.revoked)


# --- what every page shows ------------------------------------------------------------------


def status_bar() -> dict[str, Any] | None:
    """Online or offline (the last round's outcome), last sync, backlog, attention."""
    try:
        db = get_db()
        device = meta.get(db, "device")
        last = outbox.last_round(db)
        unsent = outbox.count(db)
        scans = len(local.scans_to_upload(db))
        attention = local.attention_page(db, paging.PageRequest(limit=1)).total  # a COUNT
        last_sync = meta.get(db, "last_sync_at")
    except Exception:  # an error page must render even when the store cannot be read
        current_app.logger.exception("status bar")
        return None
    if last is None:
        state = "never"
    elif last["outcome"] == "ok":
        state = "online"
    elif last["outcome"] == "HubUnavailable":
        state = "offline"
    else:
        state = "problem"
    return {
        "enrolled": bool(device),
        "outlet": device["outlet"] if device else None,
        "state": state,
        "revoked": device_revoked(),
        "last_round_at": last["finished_at"] if last else None,
        # The technical detail of the last round's failure, for the operator: the pages
        # say what happened in words and fold this away.
        "last_message": last["message"] if last and last["outcome"] != "ok" else "",
        "last_sync_at": last_sync,
        "unsent": unsent,
        "scans": scans,
        "attention": attention,
    }


def view(app: dict[str, Any]) -> dict[str, Any]:
    row = dict(app)
    row["applicant"] = json.loads(app["applicant_masked"])
    row["materials"] = json.loads(app["materials"])
    row["promised"] = json.loads(app["promised"])
    return row


def lookup(key: str) -> dict[str, Any]:
    app = local.find_application(get_db(), key)
    if app is None:
        abort(404)
    return view(app)


def items_here() -> dict[str, CatalogueItem]:
    """The catalogue's items this outlet's kind may accept."""
    db = get_db()
    device = meta.get(db, "device")
    items = cap.catalogue_items(db)
    if not device:
        return items
    kind = device["outlet"]["kind"]
    return {code: item for code, item in items.items() if kind in item.outlet_kinds}


def matches(item: CatalogueItem, query: str) -> bool:
    q = query.strip().lower()
    return (
        not q or q in item.name.lower() or q in item.code.lower() or q in search_initials(item.name)
    )


def promised_date(captured_ms: int, days: int) -> date | None:
    """An estimate for the receipt: ``days`` working days after the capture day, on China's
    official calendar; None when the calendar does not know a year it would need."""
    import chinese_calendar

    day = china_date(captured_ms)
    try:
        for _ in range(days):
            day += timedelta(days=1)
            while not chinese_calendar.is_workday(day):
                day += timedelta(days=1)
    except NotImplementedError:
        return None
    return day


def attention_items(db: Any) -> list[dict[str, Any]]:
    """What staff must act on, every item (local.attention_page read to its end), worded as
    the attention list shows it: refused records and supplements (with the hub's reasons),
    applications the department rejected, and mail that came back."""
    items = cap.catalogue_items(db)
    out: list[dict[str, Any]] = []
    request = paging.PageRequest(limit=paging.MAX_LIMIT)
    while True:
        page = local.attention_page(db, request)
        out += [attention_item(db, row, items) for row in page.rows]
        if page.next_cursor is None:
            return out
        request = paging.PageRequest(cursor=page.next_cursor, limit=paging.MAX_LIMIT)


# --- lists --------------------------------------------------------------------------------


@bp.get("/")
@login_required
def today() -> Any:
    db = get_db()
    # From the laptop's local midnight: the clerk's day as the laptop's clock shows it.
    this_day = datetime.fromtimestamp(now_ms() / 1000).date()
    start = int(datetime.combine(this_day, datetime.min.time()).timestamp() * 1000)
    page, problem = listing.read(lambda asked: local.application_page(db, asked, since=start))
    one = paging.PageRequest(limit=1)
    return render_template(
        "today.html",
        page=page,
        problem=problem,
        rows=[view(a) for a in page.rows] if page else [],
        count=local.application_page(db, one, since=start).total,
        mine=local.application_page(db, one, since=start, staff=g.staff["code"]).total,
        pickup=local.application_page(db, one, hub_status="ready_for_pickup").total,
    ), (400 if problem else 200)


@bp.get("/attention")
@login_required
def attention() -> Any:
    db = get_db()
    page, problem = listing.read(lambda asked: local.attention_page(db, asked))
    items = cap.catalogue_items(db)
    shown = [attention_item(db, row, items) for row in page.rows] if page else []
    return render_template("attention.html", items=shown, page=page, problem=problem), (
        400 if problem else 200
    )


def attention_item(db: Any, row: dict[str, Any], items: dict[str, Any]) -> dict[str, Any]:
    """A row of local.attention_page as the attention list shows it (attention_items's
    shape): the hub's reasons, the materials asked for by name, the application's view."""
    app = row["app"]
    if row["source"] == "attention":
        asked = [m for x in row["reasons"] for m in x.get("materials", [])]
        spec = items.get(app["item"]) if app else None
        names = {m.code: m.name for m in spec.materials} if spec else {}
        reasons = [x.get("message", "") for x in row["reasons"]]
    else:
        asked, names = [], {}
        if row["source"] == "dept_rejected":
            reasons = [
                e["detail"]
                for e in local.timeline(db, app["id"])
                if e["source"] == "hub" and e["event"] == "rejected" and e["detail"]
            ][-1:]
        else:
            reasons = [app["tracking"] or ""]
    return {
        "kind": row["kind"],
        "attention_id": row["attention_id"],
        "at": row["at"],
        "app": view(app) if app else None,
        "record_id": row["record_id"],
        "reasons": reasons,
        "materials": asked,
        "material_names": [names.get(code, code) for code in asked],
    }


@bp.post("/attention/dealt-with")
@login_required
def dealt_with() -> Any:
    """Mark an attention item as dealt with (``attention``: an attention row's id, else
    ``application`` and ``kind``); back to where the button was."""
    form = forms.DealtWithForm()
    back = safe_next(form.next.data or url_for("pages.attention"))
    if not form.validate():
        flash(next(iter(form.marks.values())), "error")
        return redirect(back)
    try:
        cap.deal_with(
            get_db(),
            kind=form.kind.data,
            attention_id=form.attention_id(),
            application=form.application.data or None,
            seen_version=form.seen_version(),
            staff=g.staff["code"],
            now_ms=now_ms(),
        )
    except cap.CaptureError as exc:
        flash(forms.says(exc), "error")
        return redirect(back)
    flash(_("Marked as dealt with: it stays in the application's history."), "ok")
    return redirect(back)


@bp.get("/pickup")
@login_required
def pickups() -> Any:
    page, problem = listing.read(
        lambda asked: local.application_page(get_db(), asked, hub_status="ready_for_pickup")
    )
    rows = [view(a) for a in page.rows] if page else []
    return render_template("pickup.html", rows=rows, page=page, problem=problem), (
        400 if problem else 200
    )


@bp.get("/applications")
@login_required
def applications() -> Any:
    db = get_db()
    query = request.args.get("q", "").strip()
    if query:
        app = local.find_application(db, query)
        if app is not None:
            return redirect(url_for("pages.application", key=app["id"]))
    sync_state = request.args.get("sync_state") or None
    hub_status = request.args.get("hub_status") or None
    if sync_state not in (None, *labels.SYNC_STATES):
        sync_state = None
    if hub_status not in (None, *labels.HUB_STATUSES):
        hub_status = None
    # Not one receipt number: a search (its beginning, the counter, a phone tail, a name).
    page, problem = listing.read(
        lambda asked: local.application_page(
            db, asked, sync_state=sync_state, hub_status=hub_status
        )
    )
    return render_template(
        "applications.html",
        rows=[view(a) for a in page.rows] if page else [],
        page=page,
        problem=problem,
        query=query,
        sync_state=sync_state or "",
        hub_status=hub_status or "",
    ), (400 if problem else 200)


# --- a new application ----------------------------------------------------------------------


@bp.get("/new")
@login_required
def new_pick() -> str:
    query = request.args.get("q", "")
    items = sorted(items_here().values(), key=lambda i: i.code)
    return render_template(
        "new_pick.html",
        items=[i for i in items if matches(i, query)],
        initials={i.code: search_initials(i.name) for i in items},
        query=query,
        enrolled=bool(meta.get(get_db(), "device")),
    )


@bp.route("/new/<code>", methods=["GET", "POST"])
@login_required
def new_form(code: str) -> Any:
    db = get_db()
    item = items_here().get(code)
    if item is None:
        abort(404)
    form = forms.NewApplicationForm.of(item)
    if form.validate_on_submit():
        made = forms.capture_new(db, home(), form, staff=g.staff["code"], now_ms=now_ms())
        if made is not None:
            work_queued()
            flash(_("Saved. Give the citizen the receipt number."), "ok")
            return redirect(url_for("pages.receipt", key=made["id"]))
    region = (meta.get(db, "device") or {}).get("outlet", {}).get("region", "")
    return (
        render_template(
            "new_form.html",
            item=item,
            values=form.shown,
            errors=form.marks,
            rechoose=form.rechoose() if form.marks else [],
            region=region,
            counties=counties_by_province(),
            county_codes=validators.counties(),
            outlet_county=validators.counties().get(region),
        ),
        422 if form.marks else 200,
    )


def counties_by_province() -> list[tuple[str, list[validators.County]]]:
    """The county-level divisions (sync.validators.counties), grouped by province in code
    order: the list the applicant's county is chosen from."""
    groups: dict[str, list[validators.County]] = {}
    for county in validators.counties().values():
        groups.setdefault(county.province, []).append(county)
    return list(groups.items())


def work_queued() -> None:
    hook = current_app.config.get("ON_NEW_WORK")
    if hook is not None:
        try:
            hook()
        except Exception:  # syncing soon is a courtesy; the record is stored already
            current_app.logger.exception("on_new_work")


# 容缺受理: a material promised for later is due at the outlet this many working days after
# the day the application was recorded (docs/guide-clerk.md). The catalogue has no promise
# period of its own, so one rule holds for every item.
PROMISE_DAYS = 5
# Receipt printers: the widths of paper roll a receipt is laid out for (?layout=slip&paper=).
SLIP_PAPERS = (80, 58)
# The government service hotline, the same number everywhere in China (政务服务便民热线).
HOTLINE = "12345"


def fee_words(fen: int) -> str:
    """An item's fee as the receipt states it: 免费 (no fee), or yuan with two decimals."""
    if fen <= 0:
        return _("No fee")
    yuan = f"{fen // 100}.{fen % 100:02d}"
    return _("%(yuan)s yuan", yuan=yuan)


@bp.get("/applications/<key>/receipt")
@login_required
def receipt(key: str) -> str:
    """The receipt to print: the citizen's copy and the outlet's copy (留存联), on A4 or, with
    ``?layout=slip`` (and ``paper=58`` for the narrow roll), on a receipt printer's roll."""
    db = get_db()
    app = lookup(key)
    item = cap.catalogue_items(db).get(app["item"])
    names = {m.code: m.name for m in item.materials} if item else {}
    qr = qr_code(app["receipt"])
    # A viewBox, not a fixed size: the stylesheet sizes it for the sheet and for the slip.
    svg = qr.svg_inline(scale=5, border=QUIET_ZONE, title=app["receipt"], omitsize=True)
    slip = request.args.get("layout") == "slip"
    paper = request.args.get("paper", type=int)
    recorder = staff_store.get(db, app["staff"])
    promise_by = promised_date(app["captured_at"], PROMISE_DAYS) if app["promised"] else None
    return render_template(
        "receipt.html",
        app=app,
        item=item,
        promised_names=[names.get(c, c) for c in app["promised"]],
        material_names=[names.get(c, c) for c in app["materials"]],
        estimate=promised_date(app["captured_at"], item.promised_days) if item else None,
        promise_days=PROMISE_DAYS,
        promise_by_date=promise_by,
        fee=fee_words(item.fee_fen) if item else None,
        outlet_phone=meta.get(db, "outlet_phone"),
        hotline=HOTLINE,
        recorder=recorder["name"] if recorder else "",
        qr=Markup(svg),
        device=meta.get(db, "device"),
        slip=slip,
        paper=paper if slip and paper in SLIP_PAPERS else SLIP_PAPERS[0],
        papers=SLIP_PAPERS,
        # Kept here, but the hub refuses this laptop: the citizen must be told.
        stuck=device_revoked() and app["sync_state"] == "queued",
    )


# --- one application ------------------------------------------------------------------------


def render_application(
    app: dict[str, Any], form: forms.PageForm | None = None, name: str = ""
) -> Any:
    """An application's page; ``form`` is its form ``name`` sent back with its errors."""
    db = get_db()
    item = cap.catalogue_items(db).get(app["item"])
    names = {m.code: m.name for m in item.materials} if item else {}
    mine = [a for a in attention_items(db) if a["app"] and a["app"]["id"] == app["id"]]
    requested = [m for a in mine if a["kind"] == "supplement" for m in a["materials"]]
    if app["hub_status"] == "supplement_requested" and not requested and item:
        requested = [m.code for m in item.materials]
    errors = form.marks if form else {}
    return (
        render_template(
            "application.html",
            app=app,
            item=item,
            names=names,
            timeline=local.timeline(db, app["id"]),
            attention=mine,
            requested=requested,
            form=name,
            errors=errors,
            values=form.shown if form else {},
            handed_over=cap.already_recorded(db, app["id"], "pickup.confirm"),
            rated=cap.already_recorded(db, app["id"], "rating.create"),
        ),
        422 if errors else 200,
    )


@bp.get("/applications/<key>")
@login_required
def application(key: str) -> Any:
    return render_application(lookup(key))


def done(app: dict[str, Any], made: dict[str, str]) -> Any:
    work_queued()
    # The receipt number the clerk knows, not the record's id (a UUID).
    flash(text("queued", forms.lang(), f"queued {app['receipt']}", id=app["receipt"]), "ok")
    return redirect(url_for("pages.application", key=app["id"]))


@bp.post("/applications/<key>/supplement")
@login_required
def supplement(key: str) -> Any:
    app = lookup(key)
    form = forms.SupplementForm.posted()
    if not form.validate():
        return render_application(app, form, "supplement")
    with forms.saved(home(), form.scans()) as files:
        try:
            made = cap.amend(
                get_db(),
                home(),
                app["id"],
                staff=g.staff["code"],
                reason="supplement",
                scans=files,
                paper=form.paper(),
                note=form.note.data,
                now_ms=now_ms(),
            )
        except cap.CaptureError as exc:
            form.refuse("form", forms.says(exc))
            return render_application(app, form, "supplement")
    return done(app, made)


def refused_again(form: forms.PageForm, app: dict[str, Any], what: str) -> bool:
    """A second hand-over or rating (capture.once), from a page opened before the first:
    refused whatever the form says."""
    try:
        cap.once(get_db(), app["id"], what)
    except cap.CaptureError as exc:
        form.refuse("form", forms.says(exc))
        return True
    return False


@bp.post("/applications/<key>/pickup")
@role_required("clerk")
def pickup(key: str) -> Any:
    app = lookup(key)
    form = forms.PickupForm()
    if refused_again(form, app, "pickup") or not form.validate():
        return render_application(app, form, "pickup")
    try:
        made = cap.pickup(
            get_db(),
            app["id"],
            staff=g.staff["code"],
            collector=form.collector.data,
            now_ms=now_ms(),
            proxy_name=form.proxy_name.data,
            proxy_id_number=form.proxy_id_number.data,
        )
    except cap.CaptureError as exc:
        where = exc.field if exc.field in ("proxy_name", "proxy_id_number") else "form"
        form.refuse(where, forms.says(exc))
        return render_application(app, form, "pickup")
    return done(app, made)


@bp.post("/applications/<key>/rate")
@login_required
def rate(key: str) -> Any:
    app = lookup(key)
    form = forms.RateForm()
    if refused_again(form, app, "rating") or not form.validate():
        return render_application(app, form, "rate")
    try:
        made = cap.rate(
            get_db(),
            app["id"],
            staff=g.staff["code"],
            level=form.level.data,
            comment=form.comment.data,
            now_ms=now_ms(),
        )
    except cap.CaptureError as exc:
        form.refuse("level" if exc.code == "rating.level" else "form", forms.says(exc))
        return render_application(app, form, "rate")
    return done(app, made)


# --- sync now -------------------------------------------------------------------------------


@bp.post("/sync")
@login_required
def sync_now() -> Any:
    back = safe_next(forms.SyncForm().next.data)
    lang = forms.lang()
    if not meta.get(get_db(), "device"):
        flash(text("not_enrolled", lang), "error")
        return redirect(back)
    code, summary = current_app.config["SYNC"](lang)
    if code == 0:
        words = text(
            "sync.done",
            lang,
            pushed=summary["pushed"],
            pulled=summary["pulled"],
            uploaded=summary["uploaded"],
        )
        if summary.get("attention"):
            words += " " + _("%(count)s item(s) need attention.", count=summary["attention"])
        flash(words, "ok")
    else:
        flash(sync_failed(code, summary), "busy" if code == EXIT_BUSY else "error")
    return redirect(back)


def sync_failed(code: int, summary: dict[str, Any]) -> str:
    """A failed round in the staff's words. The hub's or the network's own (English,
    technical) reason is not in them: the status bar folds it away for the operator."""
    if code == EXIT_OFFLINE:
        return _(
            "Cannot reach the hub now. Everything is kept on this computer and is sent when"
            " the network is back."
        )
    if code == EXIT_HUB_REFUSED and summary.get("code") == "device_revoked":
        return str(REVOKED)
    if code == EXIT_HUB_REFUSED:
        return _(
            "The hub refused the request. Everything is kept on this computer and is tried"
            " again at the next sync."
        )
    return str(summary.get("error") or code)


REVOKED = _l(
    "The hub has revoked this laptop, so it can no longer sync. What is recorded here stays"
    " here: ask the hub operator to enrol this laptop again."
)
