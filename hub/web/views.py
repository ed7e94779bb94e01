"""The pages: sign-in, dashboard, queue, application and statistics (with charts); the
operators' forms for devices and delivery are in ``operations.py``, on the same blueprint.
Every form is a WTForms class of ``forms.py``; the words for codes are in ``labels.py``.

Everything is read and changed through the functions the API uses (``hub.casework``,
``hub.cases``, ``hub.stats``), so a page and an API call can never disagree. The session (a
signed cookie, ``webbase.sessions``) holds the user's name and two times in milliseconds on
the hub's clock: when they signed in and when they last opened a page.
"""

from __future__ import annotations

from typing import Any

import flask
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub import casework, context, delivery, ratings, stats, store, workflow
from hub.carriers import EVENT_KINDS
from hub.casework import BY_SHIPMENT, public_view, role_of
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
from hub.web.forms import ActForm, RevealForm, SignInForm
from hub.web.labels import (
    ACTION_LABELS,
    EVENT_LABELS,
    GROUPING_LABELS,
    RATINGS,
    ROLE_LABELS,
    SHIPMENT_STATE_LABELS,
    SLA_LABELS,
    STATS_COLUMN_LABELS,
)
from hub.web.security import csrf
from sync.clock import china_time
from webbase.sessions import Guards, SessionClock, safe_next, set_lang

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
    """An alarm in the reader's language; the stored message (English, for logs) otherwise."""
    key, message = alarm["key"], alarm["message"]
    if key.startswith("calendar."):
        return _(
            "The %(year)s holiday schedule is not loaded: due dates reaching %(year)s are "
            "provisional. Load it with: daiban-hub calendar load FILE --year %(year)s",
            year=key.removeprefix("calendar."),
        )
    if key == "shipments.stale":
        return _(
            "%(count)s shipment(s) without news from the carrier for days: check them with "
            "the carrier.",
            count=store.shipments.count_stale(context.get_db()),
        )
    return message


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


@bp.app_context_processor
def labels() -> dict[str, Any]:
    return {
        "status_label": lambda s: workflow.LABELS.get(s, s) if s else "-",
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
        "unit_name": unit_name,
        "item_name": item_name,
        "STAFF_ROLES": STAFF_ROLES,
    }


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
    """The dashboard; ``failed`` is a form of it sent back with its errors marked."""
    db = context.get_db()
    counts = store.applications.queue_counts(db)
    statuses = [s for s in workflow.STATES if any(r["status"] == s for r in counts)]
    units: dict[str, dict[str, int]] = {}
    totals = {"overdue": 0, "due_soon": 0, "triage": 0}
    for row in counts:
        units.setdefault(row["unit"], {})[row["status"]] = row["count"]
        totals["overdue"] += row["overdue"] or 0
        totals["due_soon"] += row["due_soon"] or 0
        if row["status"] == "triage":
            totals["triage"] += row["count"]
    in_transit = store.shipments.list_shipments(db, state="open")
    followups = [
        ratings.view(context.hub(), f) for f in store.ratings.list_followups(db, state="open")
    ]
    return (
        render_template(
            "dashboard.html",
            statuses=statuses,
            units=units,
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
def queue() -> str:
    user = g.page_user
    status = request.args.get("status") or None
    if status is not None and status not in workflow.STATES:
        status = None
    sla = request.args.get("sla_state") or None
    if sla not in (None, "overdue", "due_soon"):
        sla = None
    if user["role"] == "officer":
        unit = user["unit"]
    else:
        unit = request.args.get("unit") or None
    rows, total = store.applications.queue(
        context.get_db(), unit=unit, status=status, sla_state=sla, limit=200, offset=0
    )
    return render_template(
        "queue.html",
        rows=[public_view(a) for a in rows],
        total=total,
        status=status,
        sla=sla,
        unit=unit,
        statuses=workflow.STATES,
        units=context.hub().catalogue.units(),
    )


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
    return [
        a
        for a in workflow.allowed_actions(app["status"], role_of(g.page_user))
        if a not in BY_SHIPMENT and a not in MAIL_FORMS
    ]


def may(action: str, app: dict[str, Any]) -> bool:
    """Whether this user may take ``action`` on the application in its state now."""
    return action in workflow.allowed_actions(app["status"], role_of(g.page_user))


def render_application(
    app: dict[str, Any],
    *,
    personal: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    failed: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    db = context.get_db()
    hub = context.hub()
    item = hub.catalogue.item(app["item"])
    rating = store.ratings.rating_for(db, app["id"])
    followup = store.ratings.followup_for_rating(db, rating["id"]) if rating else None
    mail = app["delivery"] == "mail"
    return (
        render_template(
            "application.html",
            app=public_view(app),
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
            actions=page_actions(app),
            item_materials=list(item.materials) if item else [],
            units=hub.catalogue.units(),
            may_reveal=casework.may_reveal(g.page_user),
            personal=personal,
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
            form.refuse(
                "action", _("The hub refused this: %(why)s", why=getattr(exc, "message", exc))
            )
        else:
            flash(
                _("Done: the application is now “%(status)s”.", status=status_text(updated)),
                "ok",
            )
            return redirect(url_for("pages.application", app_id=app_id))
    return render_application(visible(app_id), errors=form.marks, values=form.shown, status=400)


def form_version(raw: str | None) -> int | None:
    """The version a form was drawn for (absent: no check; not a number: stale)."""
    if raw is None:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else -1


def carrier_choices() -> list[dict[str, Any]]:
    return [c for c in store.shipments.list_carriers(context.get_db()) if not c["disabled"]]


def status_text(app: dict[str, Any]) -> str:
    return str(workflow.LABELS.get(app["status"], app["status"]))


@bp.post("/applications/<app_id>/reveal")
@role_required(*ALL_ROLES)
def reveal_personal(app_id: str) -> Any:
    app = visible(app_id)
    if not casework.may_reveal(g.page_user):
        abort(403)
    form = RevealForm()
    if not form.validate():
        return render_application(app, errors=form.marks, values=form.shown, status=400)
    try:
        keys = context.config_value("KEYS")
        personal = casework.reveal(
            context.get_db(), keys, app, g.page_user, reason=form.reason.data, now=context.now_ms()
        )
    except HubError:
        log_failure = _("The personal data could not be opened; this was logged.")
        return render_application(app, errors={"reason": log_failure}, status=500)
    return render_application(app, personal=personal)


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


@bp.get("/stats.csv")
@role_required(*ALL_ROLES)
def statistics_csv() -> Any:
    try:
        report = _report()
    except StatsError:
        abort(400)
    name = f"daiban-stats-{report['by']}-{report['from']}-{report['to']}.csv"
    return flask.Response(
        stats.to_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
