"""One agent database connection per request, closed at the end of it (flaskr's get_db)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlite_utils import Database

from ..home import Home


def home() -> Home:
    home_: Home = current_app.config["HOME"]
    return home_


def get_db() -> Database:
    if "db" not in g:
        g.db = home().open()
    db: Database = g.db
    return db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
