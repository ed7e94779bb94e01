"""Sign-in with a staff member's PIN, session expiry, and the sign-in and role guards.

The session (a signed cookie) holds the staff code and two times: when they signed in and
when they last opened a page. Past SESSION_ABSOLUTE_S or SESSION_IDLE_S the staff member is
signed out. A disabled staff member is signed out at their next page.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..store import staff as staff_store
from ..store import write
from .db import get_db

bp = Blueprint("auth", __name__)
AUTH_KEYS = ("staff", "signed_in_at", "seen_at")


def _now_ms() -> int:
    return int(time.time() * 1000)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no host, no ``//``)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def sign_out() -> None:
    for key in AUTH_KEYS:
        session.pop(key, None)


@bp.before_app_request
def load_staff() -> None:
    g.staff = None
    if request.endpoint == "static":
        return
    code = session.get("staff")
    if not code:
        return
    now = time.time()
    cfg = current_app.config
    signed_in_at, seen_at = session.get("signed_in_at", 0), session.get("seen_at", 0)
    if now - signed_in_at > cfg["SESSION_ABSOLUTE_S"] or now - seen_at > cfg["SESSION_IDLE_S"]:
        sign_out()
        flash(_("Your session has ended. Please sign in again."), "info")
        return
    row = staff_store.active(get_db(), code)
    if row is None:
        sign_out()
        return
    session["seen_at"] = now
    g.staff = row


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("staff") is None:
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.staff["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.get("/signin")
def signin() -> str:
    people = staff_store.listing(get_db(), active_only=True)
    return render_template("signin.html", people=people, next=safe_next(request.args.get("next")))


@bp.route("/signin/<code>", methods=["GET", "POST"])
def signin_pin(code: str) -> Any:
    db = get_db()
    person = staff_store.active(db, code)
    if person is None:
        staff_row = staff_store.get(db, code)
        flash(
            _("%(name)s cannot sign in: this staff member is disabled.", name=staff_row["name"])
            if staff_row
            else _("There is no staff member with the code %(code)s.", code=code),
            "error",
        )
        return redirect(url_for("auth.signin"))
    target = safe_next(request.values.get("next"))
    error = None
    status = 200
    if request.method == "POST":
        pin = request.form.get("pin", "")
        with write(db):
            outcome = staff_store.sign_in(db, code, pin, now=_now_ms())
        if outcome.ok:
            sign_out()
            session.permanent = True
            session["staff"] = code
            session["signed_in_at"] = session["seen_at"] = time.time()
            return redirect(target)
        status = {"wrong_pin": 401, "locked": 429}.get(outcome.reason, 403)
        if outcome.reason == "locked":
            minutes = max(1, -(-((outcome.locked_until or 0) - _now_ms()) // 60_000))
            error = _(
                "Too many wrong PINs. %(name)s is locked for %(minutes)s minutes.",
                name=person["name"],
                minutes=minutes,
            )
        elif outcome.reason == "disabled":
            error = _("This staff member is disabled.")
        else:
            error = _(
                "Wrong PIN. %(left)s tries left before a 5-minute lock.", left=outcome.tries_left
            )
    return (
        render_template("signin_pin.html", person=person, next=target, error=error),
        status,
    )


@bp.post("/signout")
def signout() -> Any:
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.signin"))


@bp.post("/lang")
def set_lang() -> Any:
    lang = request.form.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
