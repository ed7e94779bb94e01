"""Sign-in with a staff member's PIN, session expiry, and the sign-in and role guards.

The sign-in page names nobody: the staff member types their staff code (or their name) and
their PIN. Wrong PINs are throttled per client address (``agent.store.staff.sign_in``), so a
browser elsewhere on the outlet's network cannot lock a clerk out. Every time here comes from
the app's ``CLOCK`` (``web.clock``; tests set it).

The session (a signed cookie) holds the staff code and two times, in Unix seconds: when they
signed in and when they last opened a page. Past SESSION_ABSOLUTE_S or SESSION_IDLE_S the
staff member is signed out. A disabled staff member is signed out at their next page.
"""

from __future__ import annotations

import functools
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
from .clock import now_ms, now_s
from .db import get_db

bp = Blueprint("auth", __name__)
AUTH_KEYS = ("staff", "signed_in_at", "seen_at")


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
    now = now_s()
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
                sign_out()
                session.permanent = True
                session["staff"] = outcome.staff["code"]
                session["signed_in_at"] = session["seen_at"] = now_s()
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
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.signin"))


@bp.post("/lang")
def set_lang() -> Any:
    lang = request.form.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
