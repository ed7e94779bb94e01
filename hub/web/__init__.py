"""The hub's pages for operators and department officers, served beside the API.

    init_app(app, root)   called by hub.create_app: sign-in, dashboard, queue, application,
                          devices and statistics under ``/`` (views.py), the operators' forms
                          for devices and delivery (operations.py), the statistics charts
                          (charts.py); ``/api/...`` and ``/healthz`` keep their JSON errors.

English msgids with Simplified Chinese translations (``python -m hub.web.i18n update|compile``),
Chinese by default. Every form carries a CSRF token; sessions end after 8 hours or 30 minutes
without a page, measured on the hub's clock. What the outlet's pages share with these (base
layout, macros, error page, base.css, security headers, secret key, session clock) is
``webbase``'s.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request

import webbase
import webbase.security
from hub.context import is_api
from hub.web.security import csrf
from webbase import select_locale

HERE = Path(__file__).parent
TRANSLATIONS = HERE / "translations"
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


def init_app(app: Flask, root: Path) -> None:
    """Add the pages to the hub app (their errors are hub.web.errors.page_error's).

    ``hub.create_app`` has put ``DEFAULTS`` into the config first, under its overrides:
    ``setdefault`` here would leave Flask's own values of SESSION_COOKIE_NAME and the like.
    """
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = webbase.security.secret_key(root)
    webbase.init_app(app, TRANSLATIONS)
    csrf.init_app(app)

    from hub.web import operations, runner, views

    assert operations.bp is views.bp  # the operators' forms are routes of the same pages
    app.register_blueprint(views.bp)
    app.register_blueprint(runner.bp)  # the runner's phone app at /runner/

    @app.after_request
    def headers(response: Response) -> Response:
        if is_api(request.path) or request.endpoint == "static":
            return response
        return webbase.security.page_headers(response)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        return {"lang": select_locale(), "page_user": g.get("page_user")}
