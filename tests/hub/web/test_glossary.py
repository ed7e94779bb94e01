"""The hub's pages say the glossary's word for each state, role, action and time-limit
standing, in Chinese and in English (sync/glossary.py, docs/glossary.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session

import hub.web
import webbase
from hub.web import labels
from hub.web.views import status_label
from sync import glossary

TRANSLATIONS = Path(hub.web.__file__).parent / "translations"

# Page label table -> the glossary table it must agree with (the codes both know).
PAIRS = [
    (labels.ROLE_LABELS, glossary.ROLES),
    (labels.ACTION_LABELS, glossary.ACTIONS),
    (labels.SLA_LABELS, glossary.TIME_LIMIT),
]


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k" * 32
    webbase.init_app(app, TRANSLATIONS)
    return app


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_state_reads_as_the_glossary_word(app: Flask, lang: str) -> None:
    with app.test_request_context():
        session["lang"] = lang
        for code, term in glossary.STATES.items():
            assert status_label(code) == term.in_(lang), code


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("table,words", PAIRS)
def test_roles_actions_and_time_limits_read_as_the_glossary_words(
    app: Flask, lang: str, table: Any, words: Any
) -> None:
    with app.test_request_context():
        session["lang"] = lang
        shown = {code: str(table(code)) for code in words if code in table}
    assert shown, "the tables share codes"
    assert shown == {code: words[code].in_(lang) for code in shown}
