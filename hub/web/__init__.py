"""The hub's pages for operators and department officers, served beside the API.

    init_app(app, root)   called by hub.create_app: sign-in, dashboard, queue, application,
                          devices and statistics under ``/`` (views.py), the operators' forms
                          for devices and delivery (operations.py), the statistics charts
                          (charts.py); ``/api/...`` and ``/healthz`` keep their JSON errors.

English msgids with Simplified Chinese translations (``python -m hub.web.i18n update|compile``),
Chinese by default. Every form carries a CSRF token; sessions end after 8 hours or 30 minutes
without a page, measured on the hub's clock.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request, session
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError

HERE = Path(__file__).parent
TRANSLATIONS = HERE / "translations"
LANGUAGES = ("zh", "en")
DEFAULTS: dict[str, Any] = {
    "SESSION_ABSOLUTE_S": 8 * 3600,  # signed in for at most a working day
    "SESSION_IDLE_S": 30 * 60,  # signed out after half an hour without a page
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "daiban_hub",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked by the pages only: the API signs its requests
    "BABEL_DEFAULT_LOCALE": "zh",
    # The address devices reach the hub at, put into enrolment QR codes (DAIBAN_HUB_PUBLIC_URL);
    # unset, the devices page offers the address it was opened at.
    "PUBLIC_URL": None,
}

log = logging.getLogger("daiban.hub.web")
csrf = CSRFProtect()

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    500: _l("Something went wrong"),
}
HINTS = {
    400: _l("Go back, reload the page and try again."),
    403: _l("Your role does not allow this. Ask a hub administrator if you need it."),
    404: _l("It does not exist, or it is not in your unit's queue."),
    405: _l("Go back and use the buttons on the page."),
    500: _l("Nothing was changed. Try again; if it happens again, tell the hub's operator."),
}
CSRF_HINT = _l(
    "The form had expired or did not come from this page. Reload the page and send it again."
)


def secret_key(root: Path) -> bytes:
    """The pages' session signing key: made once per data folder, owner-only (0600)."""
    path = root / "web-secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
        raise RuntimeError(f"{path} is damaged: delete it and start again") from None
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
        out.flush()
        os.fsync(out.fileno())
    return path.read_bytes()


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "zh"


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/api" or path == "/healthz"


def error_page(code: int, hint: object = None):
    code = code if code in TITLES else 500 if code >= 500 else 400
    return (
        render_template("error.html", code=code, title=TITLES[code], hint=hint or HINTS[code]),
        code,
    )


def init_app(app: Flask, root: Path) -> None:
    """Add the pages to the hub app (after the API's error handlers are registered).

    ``hub.create_app`` has put ``DEFAULTS`` into the config first, under its overrides:
    ``setdefault`` here would leave Flask's own values of SESSION_COOKIE_NAME and the like.
    """
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(root)
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    csrf.init_app(app)

    from hub.web import operations, runner, views

    assert operations.bp is views.bp  # the operators' forms are routes of the same pages
    app.register_blueprint(views.bp)
    app.register_blueprint(runner.bp)  # the runner's phone app at /runner/

    # The API's handlers answer in JSON; everywhere else an error is a page in the user's
    # language, never a stack trace.
    handlers = app.error_handler_spec[None][None]
    api_http, api_crash = handlers[HTTPException], handlers[Exception]

    @app.errorhandler(CSRFError)
    def csrf_refused(exc: CSRFError):
        return api_http(exc) if is_api(request.path) else error_page(400, CSRF_HINT)

    @app.errorhandler(HTTPException)
    def http(exc: HTTPException):
        if is_api(request.path):
            return api_http(exc)
        if exc.code is None or exc.code < 400:
            return exc
        return error_page(exc.code)

    @app.errorhandler(Exception)
    def crash(exc: Exception):
        if is_api(request.path):
            return api_crash(exc)
        if isinstance(exc, HTTPException):
            return http(exc)
        log.exception("page failed on %s %s", request.method, request.path)
        return error_page(InternalServerError.code)

    @app.after_request
    def headers(response):
        if is_api(request.path) or request.endpoint == "static":
            return response
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
            " form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        return {"lang": select_locale(), "page_user": g.get("page_user")}
