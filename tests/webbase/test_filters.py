"""The template filters webbase gives both apps: a time limit as people say it, brackets as
the reader writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, render_template_string, session

import webbase


@pytest.mark.parametrize(
    "lang,expected",
    [
        ("zh", "即办 · 5 个工作日 · 王芳（窗口人员）"),
        ("en", "Same day · 5 working days · 王芳 (窗口人员)"),
    ],
)
def test_time_limit_and_paren_in_each_language(tmp_path: Path, lang: str, expected: str) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k" * 32
    webbase.init_app(app, tmp_path)
    with app.test_request_context():
        session["lang"] = lang
        shown = render_template_string(
            "{{ 0|time_limit }} · {{ 5|time_limit }} · 王芳{{ '窗口人员'|paren }}"
        )
    assert shown == expected
