"""The glossary is whole, written in Chinese punctuation, and docs/glossary.md is its copy."""

from __future__ import annotations

import re
from pathlib import Path

from sync import glossary
from sync.records import STATUSES

ROOT = Path(__file__).resolve().parents[2]


def test_docs_glossary_is_written_from_the_module() -> None:
    assert (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8") == glossary.markdown()


def test_every_state_has_one_word_and_no_two_states_share_one() -> None:
    assert set(glossary.STATES) == set(STATUSES)
    words = [t.zh for t in glossary.STATES.values()]
    assert len(set(words)) == len(words)


def test_chinese_words_use_no_ascii_punctuation() -> None:
    for table in glossary.TABLES.values():
        for code, term in table.items():
            assert re.search(r"[\u4e00-\u9fff]", term.zh), code
            assert not re.search(r"[():,;!?\[\]]", term.zh), (code, term.zh)


def test_a_time_limit_of_no_days_is_said_as_same_day() -> None:
    assert glossary.limit_words(0, "zh") == "即办"
    assert glossary.limit_words(5, "zh") == "5 个工作日"
    assert glossary.limit_words(0, "en") == "Same day"
    assert glossary.limit_words(3, "en") == "3 working days"
