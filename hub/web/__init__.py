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

from flask import Flask, g, request, session
from flask_babel import Babel

from hub.context import is_api
from hub.web.security import csrf

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


def init_app(app: Flask, root: Path) -> None:
    """Add the pages to the hub app (their errors are hub.web.errors.page_error's).

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
