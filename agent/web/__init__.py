"""The agent's pages for clerks and runners: ``create_app(home)``, served by ``serve``.

Everything the pages show comes from the local store, so they work with the hub unreachable;
only "sync now" talks to the hub, through the same locked round as ``daiban-agent sync``.

    create_app(home, config=None, sync=None, on_new_work=None) -> Flask
      sync(lang) -> (exit code, summary)   one round (default: rounds.sync_callback(home))
      on_new_work()                        called after a record is queued (serve: sync soon)
      config["CLOCK"]() -> Unix ms         every time the pages read (default: the system's)

What the hub's pages show the same way (base layout, macros, error page, base.css, the
pybabel commands, security headers, secret key, session clock) is ``webbase``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFProtect

import webbase
from webbase import security, select_locale

from .. import messages
from ..clock import now_ms
from ..home import Home
from ..rounds import SyncNow, sync_callback

HERE = Path(__file__).parent
TRANSLATIONS = messages.TRANSLATIONS  # one catalogue for the pages and the CLI
DEFAULTS: dict[str, Any] = {
    "SESSION_ABSOLUTE_S": 8 * 3600,  # signed in for at most a working day
    "SESSION_IDLE_S": 30 * 60,  # signed out after half an hour without a page
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,  # a form with a few phone photos
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "daiban_agent",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "BABEL_DEFAULT_LOCALE": "zh",
    "CLOCK": now_ms,  # tests set their own
}

log = logging.getLogger("daiban.agent.web")


def secret_key(home: Home) -> bytes:
    """The pages' signing key: made once per home folder, kept owner-only (0600)."""
    home.ensure()
    return security.secret_key(home.root)


def create_app(
    home: Home | str | Path,
    config: dict[str, Any] | None = None,
    *,
    sync: SyncNow | None = None,
    on_new_work: Callable[[], None] | None = None,
) -> Flask:
    """The pages over one home folder."""
    home = home if isinstance(home, Home) else Home(home)
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.update(
        SECRET_KEY=secret_key(home),
        HOME=home,
        SYNC=sync or sync_callback(home),
        ON_NEW_WORK=on_new_work,
    )
    if config:
        app.config.update(config)
    webbase.init_app(app, TRANSLATIONS)
    CSRFProtect(app)

    from . import auth, db, errors, views

    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)

    @app.after_request
    def headers(response: Response) -> Response:
        return security.page_headers(response, no_store=request.endpoint not in auth.STATIC)

    @app.context_processor
    def lang() -> dict[str, Any]:
        return {"lang": select_locale(), "staff_member": g.get("staff")}

    return app
