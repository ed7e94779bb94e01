"""What the agent's and the hub's pages share: the base stylesheet, the base layout, macros and
error page, the pybabel wrapper, security headers and secret key, and the session clock.

It does I/O (files, Flask requests), so it is not in ``sync/``; it imports neither ``agent`` nor
``hub``: each app passes in what is its own (folders, endpoint names, cookie keys).

    init_app(app, translations)   the ``webbase`` blueprint (``/webbase/static/base.css``,
                                  the ``webbase/*.html`` templates) and Babel on the app's
                                  catalogue, in the language of ``select_locale()``
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from flask_babel import Babel

from sync import glossary
from webbase.sessions import LANGUAGES as LANGUAGES
from webbase.sessions import select_locale, use_max_age


def time_limit(days: int) -> str:
    """A promised time limit as people say it: 即办 for 0 days, else N 个工作日 (sync.glossary)."""
    return glossary.limit_words(int(days), select_locale())


def paren(text: object) -> str:
    """Words in brackets as the reader writes them: （…） in Chinese, " (…)" in English."""
    return f"（{text}）" if select_locale() == "zh" else f" ({text})"


HERE = Path(__file__).parent

bp = Blueprint(
    "webbase",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/webbase/static",
)


def init_app(app: Flask, translations: Path) -> None:
    """The shared blueprint, the app's gettext catalogue (``translations`` folder) and its
    sessions' cookies with Max-Age (sessions.MaxAgeSessions)."""
    Babel(app, locale_selector=select_locale, default_translation_directories=str(translations))
    app.register_blueprint(bp)
    use_max_age(app)
    app.add_template_filter(paren, "paren")
    app.add_template_filter(time_limit, "time_limit")
