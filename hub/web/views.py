"""The pages: sign-in, dashboard, queue, application and statistics (with charts); the
operators' forms for devices and delivery are in ``operations.py``, on the same blueprint.
Every form is a WTForms class of ``forms.py``; the words for codes are in ``labels.py``.

Everything is read and changed through the functions the API uses (``hub.casework``,
``hub.cases``, ``hub.stats``, ``hub.dashboard``), so a page and an API call can never
disagree. The session (a signed cookie, ``webbase.sessions``) holds the user's name and two
times in milliseconds on the hub's clock: when they signed in and when they last opened a page.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import flask
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from hub import casework, context, delivery, ratings, stats, store, workflow
from hub.carriers import EVENT_KINDS
from hub.casework import BY_SHIPMENT, public_view, role_of
from hub.dashboard import figures as dashboard_figures
from hub.errors import HubError
from hub.stats import StatsError
from hub.store import write
from hub.users import (
    active_user,
    begin_sign_in,
    check_password,
    end_sign_in,
    throttles,
)
from hub.web import charts
from hub.web.forms import ActForm, RevealForm, ScanForm, SignInForm
from hub.web.labels import (
    ACTION_LABELS,
    EVENT_LABELS,
    GROUPING_LABELS,
    RATINGS,
    REFUSAL_WORDS,
    ROLE_LABELS,
    SHIPMENT_STATE_LABELS,
    SLA_LABELS,
    STATS_COLUMN_LABELS,
)
from hub.web.security import csrf
from sync import glossary, refusals
from sync.clock import china_time
from webbase import listing
from webbase.sessions import Guards, SessionClock, safe_next, select_locale, set_lang

log = logging.getLogger("daiban.hub.web")
bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/pages/static",
)
SESSION = SessionClock("user", unit_ms=1)  # the cookie's times in milliseconds, as always
STAFF_ROLES = ("admin", "operator")
ALL_ROLES = ("admin", "operator", "officer")


# --- session ---------------------------------------------------------------------------------


@bp.before_request
def load_user() -> None:
    if request.method == "POST":
        csrf.protect()
    g.page_user = None
    if request.endpoint == "pages.static":
        return
    g.page_user = SESSION.load(lambda name: active_user(context.get_db(), name))


role_required = Guards("page_user", "pages.signin").role_required


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    target = safe_next(request.values.get("next"))
    form = SignInForm()
    if form.validate_on_submit():
        db, rules = context.get_db(), throttles(flask.current_app.config)
        name, password, address = form.name.data, form.password.data, request.remote_addr
        wait = begin_sign_in(db, name=name, address=address, now=context.now_ms(), rules=rules)
        if wait is not None:
            return too_many_tries(form, target, wait)
        user = check_password(db, name, password)
        wait = end_sign_in(
            db, name=name, address=address, now=context.now_ms(), rules=rules, ok=bool(user)
        )
        if user is not None:
            SESSION.start(user["name"])
            return redirect(target)
        if wait is not None:
            return too_many_tries(form, target, wait)
        form.refuse("password", _("The user name or the password is wrong."))
    page = render_template("signin.html", values=form.shown, errors=form.marks, next=target)
    return (page, 401) if form.is_submitted() else page


def too_many_tries(form: SignInForm, target: str, wait_s: int) -> Any:
    """429 with Retry-After: too many wrong passwords for this account or from this address."""
    minutes = -(-wait_s // 60)
    refusal = _("Too many failed sign-ins. Try again in %(minutes)s min.", minutes=minutes)
    page = render_template(
        "signin.html", values=form.shown, errors={}, next=target, refusal=refusal
    )
    return page, 429, {"Retry-After": str(wait_s)}


@bp.post("/signout")
def signout() -> Any:
    return SESSION.sign_out_page("pages.signin")


bp.add_url_rule("/lang", view_func=set_lang, methods=["POST"])  # pages.set_lang


# --- labels ----------------------------------------------------------------------------------


def unit_name(code: str | None) -> str:
    if not code:
        return _("Not routed (triage)")
    return context.hub().catalogue.unit_name(code) or code


def alarm_text(alarm: dict[str, Any]) -> str:
    """An alarm in the reader's language (a command to run set as code); for an alarm the
    pages have no words for, a sentence saying so with the stored message (English, for
    logs) folded under it."""
    key, message = alarm["key"], alarm["message"]
    if key.startswith("calendar."):
        year = key.removeprefix("calendar.")
        command = Markup("<code>daiban-hub calendar load FILE --year {}</code>").format(year)
        return Markup(
            _(
                "The %(year)s holiday schedule is not loaded: due dates reaching %(year)s are "
                "provisional. Load it with: %(command)s",
                year=Markup.escape(year),
                command=command,
            )
        )
    if key == "shipments.stale":
        return _(
            "%(count)s shipment(s) without news from the carrier for days: check them with "
            "the carrier.",
            count=store.shipments.count_stale(context.get_db()),
        )
    return unknown_alarm(message)


ALARM_TITLES = {
    "calendar": _l("Holiday schedule not loaded"),
    "shipments.stale": _l("Mail without carrier news"),
}


def alarm_title(alarm: dict[str, Any]) -> str:
    """What an alarm is about, in a few words (its key, ``calendar.2027``, is for scripts)."""
    key = str(alarm["key"])
    title = ALARM_TITLES.get(key) or ALARM_TITLES.get(key.partition(".")[0])
    return str(title) if title else _("Alarm")


def unknown_alarm(message: str) -> Markup:
    """An alarm the pages have no words for: a sentence in the reader's language, the
    stored (English) message folded under it."""
    return Markup(
        '{} <details class="raw"><summary>{}</summary><span lang="en">{}</span></details>'
    ).format(_("The hub raised an alarm: tell the hub's administrator."), _("Details"), message)


_ACTOR = re.compile(r"^(?P<name>.+)\((?P<role>[a-z_]+)\)$")


def actor_text(actor: str | None) -> str:
    """Who took a timeline step, as people say it: a user's name and role word
    (``wang（部门经办人）``), 自动分派 for the router, 中心 for the hub itself, the outlet's
    staff by the outlet's name, the carrier by its name. The stored actor otherwise."""
    if not actor:
        return ""
    lang = select_locale()
    if actor == "router":
        return glossary.WORDS["router"].in_(lang)
    if actor in ("hub", "system"):
        return glossary.WORDS["hub"].in_(lang)
    found = _ACTOR.match(actor)
    if found and found["role"] in glossary.ROLES:
        role = glossary.ROLES[found["role"]].in_(lang)
        return f"{found['name']}（{role}）" if lang == "zh" else f"{found['name']} ({role})"
    if actor.startswith("carrier:"):
        return carrier_name(actor.removeprefix("carrier:"))
    staff, at, outlet = actor.rpartition("@")
    if at and staff:
        return f"{outlet_name(outlet)} · {staff}"
    return actor


def outlet_name(code: str | None) -> str:
    """An outlet by its name (its code when the hub has none)."""
    if not code:
        return "-"
    outlet = store.devices.get_outlet(context.get_db(), code)
    return str(outlet["name"]) if outlet and outlet.get("name") else code


def carrier_name(code: str | None) -> str:
    if not code:
        return "-"
    carrier = store.shipments.get_carrier(context.get_db(), code)
    return str(carrier["name"]) if carrier and carrier.get("name") else code


# The notes hubs before issue 16 wrote in English, by their shape: worded again when shown.
_LEGACY_NOTES = [
    (re.compile(r"result sent to the outlet for pickup"), "to_outlet_pickup"),
    (re.compile(r"collected by (?P<who>applicant|proxy)"), "collected_"),
    (re.compile(r"device clock off by (?P<seconds>[+-]?\d+) s"), "clock_off"),
    (re.compile(r"no unit handles (?P<item>\S+) for region (?P<region>\d{6})"), "no_unit"),
]


def _said(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    try:
        said = json.loads(data) if isinstance(data, str) and data.startswith("{") else {}
    except ValueError:
        return {}
    return said if isinstance(said, dict) else {}


def note_text(event: dict[str, Any], app: dict[str, Any] | None = None) -> str:
    """A timeline step's note in the reader's language: the hub's own notes are worded from
    the code and values kept in the event's data (sync.glossary.NOTES), or, for the routing
    step stored with the capture, from the application (``app``); a rating by its level; a
    note an older hub wrote in English by its shape; anything a person wrote as written."""
    said, note, lang = _said(event), str(event.get("note") or ""), select_locale()
    code = said.get("said")
    if isinstance(code, str) and code in glossary.NOTES:
        found = said.get("args")
        args: dict[str, Any] = found if isinstance(found, dict) else {}
        try:
            return glossary.note(code, lang, **args)
        except (KeyError, IndexError):
            return note
    if event.get("action") == "rate" and said.get("level"):
        return str(RATINGS(said["level"]))
    if note and event.get("actor") == "router" and event.get("action") == "triage" and app:
        return glossary.note("no_unit", lang, item=item_name(app["item"]), region=app["region"])
    for shape, said_code in _LEGACY_NOTES:
        old = shape.fullmatch(note)
        if old is None:
            continue
        values = old.groupdict()
        if said_code == "collected_":
            return glossary.note(said_code + values["who"], lang)
        if "item" in values:
            values["item"] = item_name(values["item"])
        return glossary.note(said_code, lang, **values)
    return note


def event_materials(event: dict[str, Any], item: str) -> list[str]:
    """The materials a supplement step names (asked for, or handed in), by their names."""
    codes = _said(event).get("materials")
    if not isinstance(codes, list):
        return []
    return [material_name(item, c) for c in codes if isinstance(c, str)]


def refusal_text(exc: Exception, about: str = "") -> str:
    """Why the hub refused a form, in the reader's language: the words for the refusal's
    code (``labels.REFUSAL_WORDS``, by ``about.code``, ``code.field`` or ``code``); for a
    code with none, a sentence saying so, the hub's own (English) words going to the log
    (a form's marks are plain text: hub.web.forms.PageForm.marks)."""
    code = str(getattr(exc, "code", "") or "")
    field = str(getattr(exc, "field", "") or "")
    for key in (f"{about}.{code}", f"{code}.{field}", code):
        if key in REFUSAL_WORDS:
            return str(REFUSAL_WORDS[key])
    log.info("refusal with no words of its own (%s): %s", code, getattr(exc, "message", exc))
    return _("The hub refused this (%(code)s). Nothing was changed.", code=code or "-")


def material_name(item: str, code: str) -> str:
    found = context.hub().catalogue.item(item)
    names = {m.code: m.name for m in found.materials} if found else {}
    return names.get(code, code)


def item_name(code: str) -> str:
    item = context.hub().catalogue.item(code)
    return item.name if item else code


@bp.app_template_filter("when")
def when(ms: int | None) -> str:
    return china_time(ms) if ms else "-"


# --- dashboard -------------------------------------------------------------------------------


@bp.get("/")
def home() -> Any:
    user = g.get("page_user")
    if user is None:
        return redirect(url_for("pages.signin"))
    if user["role"] == "officer":
        return redirect(url_for("pages.queue"))
    return redirect(url_for("pages.dashboard"))


@bp.get("/dashboard")
@role_required(*STAFF_ROLES)
def dashboard() -> Any:
    return render_dashboard()


def render_dashboard(failed: dict[str, Any] | None = None, status: int = 200) -> Any:
    """The dashboard; ``failed`` is a form of it sent back with its errors marked. Its
    figures are ``hub.dashboard.figures``, the same for any surface that shows them."""
    db = context.get_db()
    hub = context.hub()
    board = dashboard_figures(hub, silent_hours=context.config_value("SYNC_SILENT_HOURS"))
    waiting_triage = next(w for w in board["waiting"] if w["status"] == "triage")
    totals = {
        "overdue": board["overdue"],
        "due_soon": board["due_soon"],
        "triage": waiting_triage["count"],
    }
    in_transit = store.shipments.list_shipments(db, state="open")
    followups = [ratings.view(hub, f) for f in store.ratings.list_followups(db, state="open")]
    return (
        render_template(
            "dashboard.html",
            board=board,
            outlet_name=lambda code: board["outlets"].get(code) or code,
            totals=totals,
            in_transit=in_transit,
            returned=waiting(db, "returned", "returned"),
            to_post=waiting(db, "pending", "result_issued"),
            followups=followups,
            alarms=store.alarms.active_alarms(db),
            carriers=carrier_choices(),
            failed=failed,
        ),
        status,
    )


def waiting(db: Any, shipment_state: str, app_status: str) -> list[dict[str, Any]]:
    """Mail an operator has still to deal with: the latest shipment in ``shipment_state`` of
    each application in ``app_status`` now: results issued for mail and waiting for their
    tracking number (pending, result_issued), returned mail not yet sent again or to the
    outlet (returned, returned)."""
    rows, _total = store.applications.queue(db, status=app_status, limit=500, offset=0)
    ids, out = {a["id"] for a in rows}, []
    for shipment in store.shipments.list_shipments(db, state=shipment_state, limit=1000):
        if shipment["application"] in ids:
            ids.discard(shipment["application"])
            out.append(shipment)
    return out


# --- queue and application -------------------------------------------------------------------


@bp.get("/queue")
@role_required(*ALL_ROLES)
def queue() -> Any:
    user = g.page_user
    status = request.args.get("status") or None
    if status is not None and status not in workflow.STATES:
        status = None
    sla = request.args.get("sla_state") or None
    if sla not in (None, "overdue", "due_soon"):
        sla = None
    unit = casework.queue_unit(user, request.args.get("unit") or None)
    catalogue = context.hub().catalogue
    item = request.args.get("item") or None
    if item is not None and catalogue.item(item) is None:
        item = None
    q = request.args.get("q", "").strip()
    page, problem = listing.read(
        lambda asked: store.applications.application_page(
            context.get_db(), asked, unit=unit, status=status, item=item, sla_state=sla
        )
    )
    return render_template(
        "queue.html",
        page=page,
        rows=[public_view(a) for a in page.rows] if page else [],
        total=page.total if page else 0,
        problem=problem,
        q=q,
        status=status,
        sla=sla,
        unit=unit,
        item=item,
        item_options=[(i.code, i.name) for i in catalogue.items],
        status_options=[(s, status_label(s)) for s in workflow.STATES],
        units=catalogue.units(),
    ), (400 if problem else 200)


def visible(app_id: str) -> dict[str, Any]:
    """The application if this user may see it (casework.visible); 404 otherwise."""
    try:
        return casework.visible(
            store.applications.get_application(context.get_db(), app_id), g.page_user
        )
    except HubError:
        abort(404)


# Taken with their own forms (the mail section of the application page), not as bare buttons.
MAIL_FORMS = ("to_outlet",)


def page_actions(app: dict[str, Any]) -> list[str]:
    """The actions the page offers as buttons, the usual one first (workflow.ordered_actions)."""
    return [
        a
        for a in workflow.ordered_actions(app["status"], role_of(g.page_user))
        if a not in BY_SHIPMENT and a not in MAIL_FORMS
    ]


def refusal_reasons(actions: list[str]) -> dict[str, list[tuple[str, str]]]:
    """For each refusal the page offers, its reasons (code, words in the reader's language)."""
    lang = select_locale()
    return {
        action: [
            (r.code, refusals.reason_words(r.code, lang)) for r in refusals.reasons_for(action)
        ]
        for action in actions
        if action in refusals.REFUSAL_ACTIONS
    }


def may(action: str, app: dict[str, Any]) -> bool:
    """Whether this user may take ``action`` on the application in its state now."""
    return action in workflow.allowed_actions(app["status"], role_of(g.page_user))


def render_application(
    app: dict[str, Any],
    *,
    personal: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    form: str = "",
    failed: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    """The application page; ``errors`` and ``values`` are those of the form sent back,
    ``form`` says which (``act``, ``reveal`` or ``scan``), so only that one shows them."""
    db = context.get_db()
    hub = context.hub()
    item = hub.catalogue.item(app["item"])
    rating = store.ratings.rating_for(db, app["id"])
    followup = store.ratings.followup_for_rating(db, rating["id"]) if rating else None
    mail = app["delivery"] == "mail"
    shown = public_view(app)
    actions = page_actions(app)
    may_open_scans = casework.may_view_scans(g.page_user, app)
    openable = [
        (m["code"], f["n"])
        for m in shown["materials"]
        for f in m["files"]
        if f["at_hub"] and may_open_scans
    ]
    return (
        render_template(
            "application.html",
            app=shown,
            timeline=store.applications.events(db, app["id"]),
            shipments=[
                delivery.view(hub, s) for s in store.shipments.application_shipments(db, app["id"])
            ],
            rating=rating,
            followup=followup,
            may_post=mail and may("ship", app),
            may_to_outlet=may("to_outlet", app),
            carriers=carrier_choices(),
            event_kinds=EVENT_KINDS,
            failed=failed,
            actions=actions,
            usual=workflow.usual_action(app["status"], role_of(g.page_user)),
            refusal_reasons=refusal_reasons(actions),
            refusal_note_max=refusals.REFUSAL_NOTE_MAX,
            item_materials=list(item.materials) if item else [],
            units=hub.catalogue.units(),
            may_reveal=casework.may_reveal(g.page_user),
            may_open_scans=may_open_scans,
            first_scan=openable[0] if openable else None,
            personal=personal,
            form=form,
            errors=errors or {},
            values=values or {},
        ),
        status,
    )


@bp.get("/applications/<app_id>")
@role_required(*ALL_ROLES)
def application(app_id: str) -> Any:
    return render_application(visible(app_id))


@bp.post("/applications/<app_id>/act")
@role_required(*ALL_ROLES)
def act(app_id: str) -> Any:
    app = visible(app_id)
    form = ActForm(allowed=page_actions(app))
    if form.validate():
        action, note = form.action.data, form.note.data
        hub = context.hub()
        try:
            with write(hub.db):
                fresh = visible(app_id)
                casework.check_version(fresh, form_version(form.version.data))
                updated = casework.carry_out(
                    hub, fresh, g.page_user, action, form.body(), note=note
                )
        except HubError as exc:
            if getattr(exc, "code", "") == "version_stale":
                flash(_("Someone changed this application meanwhile. Look again, then act."))
                return redirect(url_for("pages.application", app_id=app_id))
            form.refuse("action", refusal_text(exc, about=action))
        else:
            flash(
                _("Done: the application is now “%(status)s”.", status=status_text(updated)),
                "ok",
            )
            return redirect(url_for("pages.application", app_id=app_id))
    return render_application(
        visible(app_id), errors=form.marks, values=form.shown, form="act", status=400
    )


def form_version(raw: str | None) -> int | None:
    """The version a form was drawn for (absent: no check; not a number: stale)."""
    if raw is None:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else -1


def carrier_choices() -> list[dict[str, Any]]:
    return [c for c in store.shipments.list_carriers(context.get_db()) if not c["disabled"]]


def status_label(state: str | None) -> str:
    """A state's word in the reader's language (the glossary's), "-" for none."""
    term = glossary.STATES.get(state or "")
    return term.in_(select_locale()) if term else (state or "-")


def status_text(app: dict[str, Any]) -> str:
    return status_label(app["status"])


@bp.post("/applications/<app_id>/reveal")
@role_required(*ALL_ROLES)
def reveal_personal(app_id: str) -> Any:
    app = visible(app_id)
    if not casework.may_reveal(g.page_user):
        abort(403)
    form = RevealForm()
    if not form.validate():
        return render_application(
            app, errors=form.marks, values=form.shown, form="reveal", status=400
        )
    try:
        keys = context.config_value("KEYS")
        personal = casework.reveal(
            context.get_db(), keys, app, g.page_user, reason=form.reason.data, now=context.now_ms()
        )
    except HubError:
        log_failure = _("The personal data could not be opened; this was logged.")
        return render_application(app, errors={"reason": log_failure}, form="reveal", status=500)
    return render_application(app, personal=personal)


def scan_refusal(exc: HubError) -> str:
    """Why a scan could not be opened, in the reader's words (hub.casework.scan_for's codes)."""
    code = exc.code
    if code == "scan.not_uploaded":
        return _(
            "This scan has not reached the hub yet: the outlet's upload may still be under way."
            " Try again later."
        )
    if code == "scan.unseal_failed":
        return _(
            "This scan does not open for this application: ask the outlet to scan it again."
            " This was logged."
        )
    if code == "scan.not_found":
        return _("This application has no such scan.")
    return _("The scan could not be opened: %(why)s", why=exc.message)


@bp.post("/applications/<app_id>/materials/<material>/<n>")
@role_required(*ALL_ROLES)
def scan(app_id: str, material: str, n: str) -> Any:
    """Scan ``n`` (from 1) of a material, unsealed for the officer holding the case, with a
    reason (audited): the bytes as the API answers them (hub/api/scans.py), shown on their own."""
    app = visible(app_id)
    if not casework.may_view_scans(g.page_user, app):
        abort(403)
    form = ScanForm()
    if not form.validate():
        return render_application(
            app, errors=form.marks, values=form.shown, form="scan", status=400
        )
    number = int(n) if n.isascii() and n.isdigit() and len(n) <= 9 else 0  # 0: no such scan
    try:
        found = casework.scan_for(
            context.get_db(),
            context.config_value("KEYS"),
            context.config_value("BLOBS"),
            app,
            g.page_user,
            material=material,
            n=number,
            reason=form.reason.data,
            now=context.now_ms(),
        )
    except HubError as exc:
        if exc.code in ("forbidden", "not_found"):  # not the user's case, or not their role
            abort(exc.status)
        return render_application(
            app,
            errors={"scan": scan_refusal(exc)},
            values=form.shown,
            form="scan",
            status=exc.status,
        )
    return flask.Response(
        found.data, status=200, mimetype=found.media_type, headers=found.headers()
    )


# --- statistics ------------------------------------------------------------------


def _report() -> dict[str, Any]:
    hub = context.hub()
    return stats.statistics(
        hub.db,
        hub.catalogue,
        by=request.args.get("by", "department"),
        start=request.args.get("from") or None,
        end=request.args.get("to") or None,
        today=hub.today,
    )


@bp.get("/stats")
@role_required(*ALL_ROLES)
def statistics() -> Any:
    try:
        report = _report()
    except StatsError as exc:
        flash(exc.message, "error")
        return redirect(url_for("pages.statistics"))
    hub = context.hub()
    daily = stats.daily(hub.db, start=report["from"], end=report["to"], today=hub.today)
    return render_template(
        "stats.html",
        report=report,
        columns=stats.COLUMNS,
        groupings=stats.GROUPINGS,
        charts=stats_charts(report, daily),
    )


THROUGHPUT_TITLES = {
    "day": _l("Throughput per day"),
    "week": _l("Throughput per week"),
    "month": _l("Throughput per month"),
}


def stats_charts(report: dict[str, Any], daily: dict[str, Any]) -> list[Any]:
    """The statistics page's three charts: throughput, on-time rate, satisfaction."""
    unit, bars = charts.buckets(daily["days"])
    received, completed = _("Received"), _("Completed")
    period = f"{report['from']} – {report['to']}"
    table = _("Show the figures as a table")
    throughput = charts.bar_chart(
        chart_id="chart-throughput",
        title=str(THROUGHPUT_TITLES[unit]),
        desc=_(
            "Applications received and completed, %(period)s:"
            " %(received)s received, %(completed)s completed in all.",
            period=period,
            received=sum(b["received"] for b in bars),
            completed=sum(b["completed"] for b in bars),
        ),
        labels=[b["label"] for b in bars],
        axis_labels=[b["label"][5:] if unit != "month" else b["label"] for b in bars],
        series=[
            charts.Series(received, [b["received"] for b in bars]),
            charts.Series(completed, [b["completed"] for b in bars]),
        ],
        label_header=_("Day") if unit == "day" else _("From"),
        table_summary=table,
    )
    rows = [*report["rows"], {**report["total"], "name": _("Total")}]
    labels = [str(r["name"] or r["key"]) for r in rows]
    none = _("no data")
    on_time = charts.hbar_chart(
        chart_id="chart-on-time",
        title=_("On-time rate"),
        desc=_(
            "Share of the applications completed in %(period)s that were completed by their due"
            " date, per %(by)s and in total.",
            period=period,
            by=GROUPING_LABELS(report["by"]),
        ),
        labels=labels,
        series=[charts.Series(_("On-time rate"), [r["on_time_rate"] for r in rows])],
        label_header=str(GROUPING_LABELS(report["by"])),
        table_summary=table,
        none=none,
    )
    satisfaction = charts.hbar_chart(
        chart_id="chart-satisfaction",
        title=_("Satisfaction"),
        desc=_(
            "Share of the ratings given in %(period)s that were satisfied (very satisfied,"
            " satisfied or basically satisfied), per %(by)s and in total.",
            period=period,
            by=GROUPING_LABELS(report["by"]),
        ),
        labels=labels,
        series=[
            charts.Series(_("Satisfaction"), [r["satisfaction_rate"] for r in rows], "#1d6b2f")
        ],
        label_header=str(GROUPING_LABELS(report["by"])),
        table_summary=table,
        none=none,
    )
    return [throughput, on_time, satisfaction]


def export_headers(by: str) -> dict[str, str]:
    """The statistics columns in the reader's language, the key column named after the
    grouping (the files the page offers; the API's keep the codes)."""
    names = {c: str(STATS_COLUMN_LABELS(c)) for c in stats.COLUMNS if c != "key"}
    return {**names, "key": str(GROUPING_LABELS(by))}


def export_name(report: dict[str, Any], ext: str) -> str:
    return f"daiban-stats-{report['by']}-{report['from']}-{report['to']}.{ext}"


@bp.get("/stats.csv")
@role_required(*ALL_ROLES)
def statistics_csv() -> Any:
    """The figures as CSV: headers in the reader's language, rates as percentages."""
    try:
        report = _report()
    except StatsError:
        abort(400)
    body = stats.to_csv(report, export_headers(report["by"]), total=_("Total"), percentages=True)
    return flask.Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{export_name(report, "csv")}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/stats.xlsx")
@role_required(*ALL_ROLES)
def statistics_xlsx() -> Any:
    """The same figures as an Excel workbook, rates formatted as percentages."""
    try:
        report = _report()
    except StatsError:
        abort(400)
    body = stats.to_xlsx(
        report,
        export_headers(report["by"]),
        total=_("Total"),
        title=f"{_('Statistics')} {report['from']}",
    )
    return flask.Response(
        body,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{export_name(report, "xlsx")}"'},
    )


# What every hub template may call.
TEMPLATE_WORDS: dict[str, Any] = {
    "status_label": status_label,
    "action_label": ACTION_LABELS,
    "event_label": EVENT_LABELS,
    "shipment_state_label": SHIPMENT_STATE_LABELS,
    "rating_label": RATINGS,
    "grouping_label": GROUPING_LABELS,
    "sla_label": SLA_LABELS,
    "role_label": ROLE_LABELS,
    "column_label": STATS_COLUMN_LABELS,
    "material_name": material_name,
    "alarm_text": alarm_text,
    "alarm_title": alarm_title,
    "actor_text": actor_text,
    "note_text": note_text,
    "event_materials": event_materials,
    "outlet_name": outlet_name,
    "carrier_name": carrier_name,
    "unit_name": unit_name,
    "item_name": item_name,
    "STAFF_ROLES": STAFF_ROLES,
}
bp.app_context_processor(lambda: TEMPLATE_WORDS)
