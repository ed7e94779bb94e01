"""Who is signed in to the pages, in the session (a signed cookie): the user's key and two
times on the app's clock, when they signed in and when they last opened a page. Past
SESSION_ABSOLUTE_S or SESSION_IDLE_S (the app's config) they are signed out.

Every time comes from the app's ``CLOCK`` (``config["CLOCK"]() -> Unix ms``, the system clock
unless a test sets one): no page reads ``time.time()`` itself. The cookie holds the times in
the unit each app has always kept there (the outlet's in seconds, the hub's in milliseconds),
so a cookie written before still reads the same.

    SessionClock(user_key, unit_ms)   the app's session: ("staff", 1000) or ("user", 1)
    MaxAgeSessions                    Flask's signed-cookie sessions, with Max-Age as well

A signed-in session is permanent: its cookie lasts PERMANENT_SESSION_LIFETIME and carries
``Max-Age`` beside ``Expires``. Flask writes only ``Expires``, a date on the server's clock, so
a phone whose clock is hours off the laptop's would drop the cookie at once; browsers prefer
``Max-Age``, which counts from when the cookie arrives. webbase.init_app puts MaxAgeSessions
on every app (one that set a session interface of its own keeps it).
    Guards(user_attr, signin)         login_required and role_required(*roles) for views
    safe_next(target)                 a redirect target only if it is a path on this site
    set_lang()                        the ``POST /lang`` view: the session's language
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Response as FlaskResponse
from flask_babel import gettext as _
from werkzeug.wrappers import Response

User = TypeVar("User")
View = Callable[..., Any]


def now_ms() -> int:
    """The app's clock: ``config["CLOCK"]``, in Unix milliseconds."""
    clock: Callable[[], int] = current_app.config["CLOCK"]
    return int(clock())


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no host, no ``//``)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


LANGUAGES = ("zh", "en")  # Simplified Chinese by default, English on request


def select_locale() -> str:
    """The language the user chose (``/lang`` puts it in the session), else Chinese."""
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "zh"


def set_lang() -> Response:
    """The language the pages are shown in (from the form's ``lang``), then back to ``next``."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))


class MaxAgeSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a permanent one's cookie also carries ``Max-Age``
    (PERMANENT_SESSION_LIFETIME in seconds), which browsers prefer to ``Expires``."""

    def save_session(self, app: Flask, session: SessionMixin, response: FlaskResponse) -> None:
        if not (session and session.permanent and self.should_set_cookie(app, session)):
            super().save_session(app, session, response)  # deletes, skips, or a browser cookie
            return
        if session.accessed:
            response.vary.add("Cookie")
        response.set_cookie(
            self.get_cookie_name(app),
            self.get_signing_serializer(app).dumps(dict(session)),  # type: ignore[union-attr]
            max_age=int(app.permanent_session_lifetime.total_seconds()),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )
        response.vary.add("Cookie")


def use_max_age(app: Flask) -> None:
    """Give ``app`` MaxAgeSessions unless it has a session interface of its own."""
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = MaxAgeSessions()


class SessionClock:
    """The session of one app: ``user_key`` names the cookie's user entry, ``unit_ms`` the
    milliseconds of one unit of its times (1000: seconds, 1: milliseconds)."""

    def __init__(self, user_key: str, unit_ms: int) -> None:
        assert 1000 % unit_ms == 0
        self.user_key = user_key
        self.unit_ms = unit_ms
        self.keys = (user_key, "signed_in_at", "seen_at")

    def now(self) -> float:
        """The app's clock in the cookie's unit."""
        ms = now_ms()
        return ms if self.unit_ms == 1 else ms / self.unit_ms

    def start(self, user: str) -> None:
        """Sign ``user`` in afresh (whoever was signed in before is signed out)."""
        self.end()
        session.permanent = True
        now = self.now()
        session.update({self.user_key: user, "signed_in_at": now, "seen_at": now})

    def end(self) -> None:
        """Sign out (the language chosen stays)."""
        for key in self.keys:
            session.pop(key, None)

    def load(self, find: Callable[[str], User | None]) -> User | None:
        """The signed-in user (``find`` looks their key up), seen now. None if nobody is
        signed in; if the session has ended (they are told so) or ``find`` finds nobody
        (disabled since), signed out too."""
        key = session.get(self.user_key)
        if not key:
            return None
        now = self.now()
        cfg, per_s = current_app.config, 1000 // self.unit_ms
        signed_in_at, seen_at = session.get("signed_in_at", 0), session.get("seen_at", 0)
        if (
            now - signed_in_at > cfg["SESSION_ABSOLUTE_S"] * per_s
            or now - seen_at > cfg["SESSION_IDLE_S"] * per_s
        ):
            self.end()
            flash(_("Your session has ended. Please sign in again."), "info")
            return None
        user = find(key)
        if user is None:
            self.end()
            return None
        session["seen_at"] = now
        return user

    def sign_out_page(self, signin_endpoint: str) -> Response:
        """The ``POST /signout`` view: signed out, told so, on the sign-in page."""
        self.end()
        flash(_("You have signed out."), "info")
        return redirect(url_for(signin_endpoint))


class Guards:
    """The view decorators of one app: ``g.<user_attr>`` is who is signed in (or None), a row
    with a ``role``; nobody is sent to ``signin_endpoint`` and back, the wrong role gets 403."""

    def __init__(self, user_attr: str, signin_endpoint: str) -> None:
        self.user_attr = user_attr
        self.signin_endpoint = signin_endpoint

    def login_required(self, view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.get(self.user_attr) is None:
                back = request.full_path.rstrip("?")
                return redirect(url_for(self.signin_endpoint, next=back))
            return view(*args, **kwargs)

        return wrapped

    def role_required(self, *roles: str) -> Callable[[View], View]:
        def decorate(view: View) -> View:
            @functools.wraps(view)
            @self.login_required
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                if g.get(self.user_attr)["role"] not in roles:
                    abort(403)
                return view(*args, **kwargs)

            return wrapped

        return decorate
