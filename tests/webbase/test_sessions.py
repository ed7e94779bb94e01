"""webbase.sessions: one session clock for both apps, each keeping its cookie's unit (the
outlet's times in seconds, the hub's in milliseconds)."""

from __future__ import annotations

from flask import Flask, g, session
from flask_babel import Babel

from webbase.sessions import SessionClock, safe_next, use_max_age

NOW_MS = 1_700_000_000_000


def app_at(clock: list[int]) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k" * 32, SESSION_ABSOLUTE_S=8 * 3600, SESSION_IDLE_S=30 * 60)
    app.config["CLOCK"] = lambda: clock[0]
    Babel(app)  # the "session has ended" flash is translated
    use_max_age(app)  # as webbase.init_app does
    return app


def test_each_app_keeps_its_unit_in_the_cookie():
    clock = [NOW_MS]
    for unit_ms, expected in ((1000, NOW_MS / 1000), (1, NOW_MS)):
        with app_at(clock).test_request_context():
            SessionClock("who", unit_ms).start("ann")
            assert session["who"] == "ann"
            assert session["signed_in_at"] == session["seen_at"] == expected
            assert type(session["seen_at"]) is type(expected)


def test_idle_and_absolute_limits_on_the_injected_clock():
    for unit_ms in (1000, 1):
        clock = [NOW_MS]
        app = app_at(clock)
        sessions = SessionClock("who", unit_ms)
        with app.test_request_context():
            sessions.start("ann")
            clock[0] += 30 * 60 * 1000  # exactly the idle limit: still signed in
            assert sessions.load(lambda key: {"name": key}) == {"name": "ann"}
            clock[0] += 30 * 60 * 1000 + 1
            assert sessions.load(lambda key: {"name": key}) is None
            assert "who" not in session
        with app.test_request_context():
            sessions.start("ann")
            for _ in range(16):  # a page every half hour, for 8 hours
                clock[0] += 30 * 60 * 1000
                g.found = sessions.load(lambda key: key)
            assert g.found == "ann"
            clock[0] += 1
            assert sessions.load(lambda key: key) is None


def test_a_user_found_no_more_is_signed_out():
    with app_at([NOW_MS]).test_request_context():
        sessions = SessionClock("who", 1)
        sessions.start("ann")
        session["lang"] = "en"
        assert sessions.load(lambda key: None) is None
        assert set(session) - {"_permanent"} == {"lang"}  # the language chosen stays


def test_safe_next_only_takes_a_path_on_this_site():
    assert safe_next("/today?x=1") == "/today?x=1"
    for target in ("https://evil.example/", "//evil.example/", "today", "", None):
        assert safe_next(target) == "/"


def test_a_signed_in_cookie_carries_max_age_beside_expires():
    """Browsers prefer Max-Age (counted from when the cookie arrives) to Expires (a date on
    the server's clock): a phone whose clock is hours off the laptop's stays signed in."""
    from datetime import timedelta

    clock = [NOW_MS]
    app = app_at(clock)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=8)
    sessions = SessionClock("who", 1000)

    @app.get("/in")
    def sign_in() -> str:
        sessions.start("ann")
        return "in"

    @app.get("/page")
    def page() -> str:
        return "yes" if sessions.load(lambda key: key) else "no"

    @app.get("/lang")
    def lang() -> str:
        session["lang"] = "en"
        return "lang"

    client = app.test_client()
    # Nobody signed in: a browser-session cookie as before, neither Max-Age nor Expires.
    before = client.get("/lang").headers["Set-Cookie"]
    assert "Max-Age" not in before and "Expires" not in before
    for path in ("/in", "/page"):  # signing in, and every page seen after
        cookie = client.get(path).headers["Set-Cookie"]
        assert "Max-Age=28800" in cookie and "Expires=" in cookie, cookie
    assert client.get("/page").get_data(as_text=True) == "yes"


def test_an_app_with_its_own_session_interface_keeps_it():
    from flask.sessions import SecureCookieSessionInterface

    class Own(SecureCookieSessionInterface):
        pass

    app = app_at([NOW_MS])
    app.session_interface = own = Own()
    with app.test_request_context():
        SessionClock("who", 1).start("ann")
    assert app.session_interface is own
