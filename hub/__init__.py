"""The Daiban hub: a Flask app factory over one data folder.

The data folder holds ``hub.db`` (SQLite, WAL), ``keys/`` (the hub's signing and sealing keys,
owner-only) and ``blobs/`` (scans, content-addressed). ``daiban-hub init`` creates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

DEFAULTS: dict[str, Any] = {
    "SIGNATURE_WINDOW": 300,  # seconds a request signature's created time may be off
    "WARN_DAYS": 2,  # working days before the due date that count as "due soon"
    "MAX_BLOB_BYTES": 50 * 1024 * 1024,
    # Largest request body; Flask refuses above it with the JSON error shape (413 too_large).
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "FEED_PAGE": 500,  # records per pull page when the device does not ask for a limit
    "FOLLOWUP_DAYS": 5,  # working days to follow up a bad rating where no city rule is set
    "SHIPMENT_STALE_DAYS": 3,  # days without carrier news before a shipment is flagged
    "PARTIAL_UPLOAD_DAYS": 14,  # days an unfinished scan upload is kept for its device
    # Signing in to the pages (hub.users): so many wrong passwords within the window start a
    # block, then each further one a block twice as long; forgotten after a quiet spell.
    "SIGNIN_ACCOUNT_TRIES": 5,  # per account (the name typed)
    "SIGNIN_ADDRESS_TRIES": 20,  # per client address (an office behind one NAT shares it)
    "SIGNIN_WINDOW_S": 15 * 60,
    "SIGNIN_DELAY_S": 60,  # the first block
    "SIGNIN_MAX_DELAY_S": 3600,
    "SIGNIN_FORGET_S": 3600,  # without a failure or a block
    # Reverse proxies in front of the hub whose X-Forwarded-For is believed (0: none, so the
    # client address is the connection's).
    "TRUSTED_PROXIES": 0,
}


def data_paths(data: str | Path) -> dict[str, Path]:
    root = Path(data)
    return {
        "root": root,
        "database": root / "hub.db",
        "keys": root / "keys",
        "blobs": root / "blobs",
    }


def create_app(data: str | Path, config: Mapping[str, Any] | None = None) -> Flask:
    """The hub app for an initialised data folder; ``config`` overrides defaults (tests)."""
    from hub import api_cases, api_delivery, api_sync, context, errors, openapi, web
    from hub.blobs import LocalBlobStore
    from hub.keys import load_keys
    from hub.push_order import PushOrder
    from hub.store import open_db

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
    errors.init_app(app)
    app.register_blueprint(api_sync.bp)
    app.register_blueprint(api_cases.bp)
    app.register_blueprint(api_delivery.bp)
    app.register_blueprint(openapi.bp)
    web.init_app(app, paths["root"])  # the pages, under /, after the API's error handlers

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True, "protocol_version": 1})

    return app
