"""The Daiban hub: a Flask app factory over one data folder (hub/settings.py).

The layers, top down: surfaces (``hub.api``, ``hub.web``, ``hub.cli``) call the domain modules
at the top of this package (casework, cases, workflow, routing, delivery, ratings, ingest...),
which keep their data through ``hub.store``, one module per aggregate. Demo tooling lives in
``hub.demo``. Only this factory sees every surface: it puts the app together.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

from hub.settings import DEFAULTS, data_paths


def create_app(data: str | Path, config: Mapping[str, Any] | None = None) -> Flask:
    """The hub app for an initialised data folder; ``config`` overrides defaults (tests)."""
    from flask import request

    from hub import api, context, web
    from hub.api.errors import json_error
    from hub.blobs import LocalBlobStore
    from hub.context import is_api
    from hub.keys import load_keys
    from hub.push_order import PushOrder
    from hub.store import open_db
    from hub.web.errors import page_error

    paths = data_paths(data)
    if not paths["database"].exists():
        raise FileNotFoundError(f"{paths['root']} is not a hub data folder: run `daiban-hub init`")
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    # The pages' settings include keys Flask itself defines (SESSION_COOKIE_NAME, ...): they
    # must be set, not defaulted, and before the environment and ``config`` may override them.
    app.config.from_mapping(web.DEFAULTS)
    app.config.update(
        DATABASE=str(paths["database"]),
        CLOCK=context.system_clock_ms,
    )
    app.config.from_prefixed_env("DAIBAN_HUB")
    if config:
        app.config.update(config)
    app.config["KEYS"] = load_keys(paths["keys"])
    app.config["BLOBS"] = LocalBlobStore(paths["blobs"], max_bytes=app.config["MAX_BLOB_BYTES"])
    app.config.setdefault("PUSH_ORDER", PushOrder())
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    open_db(paths["database"]).close()  # apply pending migrations once, at start
    context.init_app(app)
    api.register(app)
    web.init_app(app, paths["root"])  # the pages, under /

    # One handler for every error: the API answers in its JSON shape, a page in the user's
    # language (never a stack trace), chosen by the request's path.
    @app.errorhandler(Exception)
    def failed(exc: Exception):
        return json_error(exc) if is_api(request.path) else page_error(exc)

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True, "protocol_version": 1})

    return app
