"""Sign-in with a staff member's PIN, session expiry, and the sign-in and role guards.

The sign-in page names nobody: the staff member types their staff code (or their name) and
their PIN. Wrong PINs are throttled per client address (``agent.store.staff.sign_in``), so a
browser elsewhere on the outlet's network cannot lock a clerk out. Every time here comes from
the app's ``CLOCK`` (``webbase.sessions.now_ms``; tests set it).

The session (a signed cookie, ``webbase.sessions``) holds the staff code and two times, in Unix
seconds: when they signed in and when they last opened a page. Past SESSION_ABSOLUTE_S or
SESSION_IDLE_S the staff member is signed out. A disabled staff member is signed out at their
next page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request
from flask_babel import gettext as _

from webbase.sessions import Guards, SessionClock, now_ms, safe_next, set_lang

from ..store import staff as staff_store
from .db import get_db

bp = Blueprint("auth", __name__)
SESSION = SessionClock("staff", unit_ms=1000)  # the cookie's times in seconds, as always
STATIC = ("static", "webbase.static")  # the endpoints of files: no session, may be cached


@bp.before_app_request
def load_staff() -> None:
    g.staff = None
    if request.endpoint in STATIC:
        return
    g.staff = SESSION.load(lambda code: staff_store.active(get_db(), code))


GUARDS = Guards("staff", "auth.signin")
login_required, role_required = GUARDS.login_required, GUARDS.role_required


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    """The staff code (or name) and the PIN, in one form."""
    return sign_in_form(request.values.get("code", ""))


@bp.route("/signin/<code>", methods=["GET", "POST"])
def signin_pin(code: str) -> Any:
    """The same form with the code filled in (links and bookmarks that name a code)."""
    return sign_in_form(code)


def sign_in_form(who: str) -> Any:
    target = safe_next(request.values.get("next"))
    who = who.strip()[:100]
    errors: dict[str, str] = {}
    status, headers = 200, {}
    if request.method == "POST":
        pin = request.form.get("pin", "")
        if not who:
            errors["code"] = _("Enter your staff code.")
        if not pin:
            errors["pin"] = _("Enter your PIN.")
        if errors:
            status = 400
        else:
            now = now_ms()
            outcome = staff_store.sign_in(get_db(), who, pin, address=request.remote_addr, now=now)
            if outcome.ok and outcome.staff is not None:
                SESSION.start(outcome.staff["code"])
                return redirect(target)
            status = {"wrong_pin": 401, "locked": 429}.get(outcome.reason, 403)
            if outcome.reason == "locked":
                wait_s = max(1, -(-((outcome.locked_until or 0) - now) // 1000))
                headers["Retry-After"] = str(wait_s)
                errors["pin"] = _(
                    "Too many wrong PINs from this computer. Try again in %(minutes)s min.",
                    minutes=-(-wait_s // 60),
                )
            elif outcome.reason == "disabled":
                errors["pin"] = _("This staff member is disabled.")
            else:
                errors["pin"] = _(
                    "The staff code or the PIN is wrong. %(left)s tries left before this"
                    " computer has to wait.",
                    left=outcome.tries_left,
                )
    no_staff = not staff_store.listing(get_db(), active_only=True)  # then say how to add one
    page = render_template("signin.html", who=who, next=target, errors=errors, no_staff=no_staff)
    return page, status, headers


@bp.post("/signout")
def signout() -> Any:
    return SESSION.sign_out_page("auth.signin")


bp.add_url_rule("/lang", view_func=set_lang, methods=["POST"])  # auth.set_lang
