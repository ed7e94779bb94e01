"""The refusal rule (sync.refusals): a reason is required, known and one the action gives;
``other`` is said in words; the note fits beside the reason's words on the wire. The note the
hub composes is read back the same way here and on the phone (tests/vectors/refusals.json,
runner/test/refusals.test.js), and the list is the one docs/api.md and rules.json show."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sync import records as r
from sync import refusals
from sync.refusals import (
    OTHER_NOTE_MIN,
    REASONS,
    REFUSAL_NOTE_MAX,
    SEPARATOR,
    parse_refusal_note,
    reason_words,
    reasons_for,
    refusal_note,
    refusal_problems,
)
from sync.rules import rules

ROOT = Path(__file__).parent.parent.parent
VECTORS = ROOT / "tests" / "vectors"


def codes(action: str, reason: object, note: object = "") -> list[tuple[str, str]]:
    return [(p.code, p.field) for p in refusal_problems(action, reason, note)]


@pytest.mark.parametrize("action", ["refuse", "reject"])
@pytest.mark.parametrize("reason", [None, "", "   ", 5, ["other"]])
def test_a_refusal_without_a_reason_is_refused(action, reason):
    assert codes(action, reason, "有说明也不行") == [("refusal.reason_missing", "reason")]


@pytest.mark.parametrize("action", ["refuse", "reject"])
def test_every_reason_for_an_action_is_enough_on_its_own_but_other(action):
    for found in reasons_for(action):
        expected = [("refusal.note_needed", "note")] if found.code == "other" else []
        assert codes(action, found.code, "") == expected, found.code
        assert codes(action, found.code, "申请人已在其他网点办理") == []


def test_an_unknown_reason_or_one_the_action_does_not_give_is_refused():
    assert codes("refuse", "no_such_reason") == [("refusal.reason_unknown", "reason")]
    assert codes("refuse", "materials_incomplete") == [("refusal.reason_not_for_action", "reason")]
    assert codes("reject", "not_in_remit") == [("refusal.reason_not_for_action", "reason")]


@pytest.mark.parametrize(
    ("note", "ok"),
    [("", False), ("   ", False), ("太短了", False), ("  太短了  ", False), ("材料过期", True)],
)
def test_another_reason_is_said_in_a_few_characters(note, ok):
    assert len("材料过期") == OTHER_NOTE_MIN
    assert codes("reject", "other", note) == ([] if ok else [("refusal.note_needed", "note")])


def test_a_note_fits_beside_the_longest_words_in_a_long_text():
    longest = max(REASONS, key=lambda x: len(x.zh))
    assert codes("refuse", "not_eligible", "字" * REFUSAL_NOTE_MAX) == []
    assert codes("refuse", "not_eligible", "字" * (REFUSAL_NOTE_MAX + 1)) == [
        ("refusal.note_too_long", "note")
    ]
    told = refusal_note(longest.code, "字" * REFUSAL_NOTE_MAX)
    assert len(told) == 2000  # exactly what the record's note holds
    r.StatusChanged(
        id="01a20902-074d-78b4-a652-e44da7f29e26",
        application="01a20902-074d-78b4-a652-e44da7f29e26",
        status="rejected",
        version=3,
        at=1_790_000_000_000,
        note=told,
    )


def test_every_problem_is_said_at_once():
    assert codes("reject", "", "字" * (REFUSAL_NOTE_MAX + 1)) == [
        ("refusal.reason_missing", "reason"),
        ("refusal.note_too_long", "note"),
    ]
    assert codes("reject", "other", 7) == [("refusal.note_type", "note")]


def test_only_refusals_take_the_rule():
    for action in ("approve", "return_to_triage", "accept", ""):
        with pytest.raises(ValueError, match="not a refusal"):
            refusal_problems(action, "other", "说明说明")
        with pytest.raises(ValueError, match="not a refusal"):
            reasons_for(action)


def test_the_words_can_be_read_back_from_any_note_they_start():
    for found in REASONS:
        assert SEPARATOR not in found.zh and found.zh.strip() == found.zh
        assert found.en and found.actions
        for note in ("", "请到区医保局办理", "其他原因：也是说明", "  前后有空格  "):
            told = refusal_note(found.code, note)
            assert parse_refusal_note(told) == (found.code, note.strip())
    # No reason's words start another's: the first match is the only one.
    for a in REASONS:
        for b in REASONS:
            assert a is b or not (b.zh + SEPARATOR).startswith(a.zh + SEPARATOR)
    assert parse_refusal_note("申请人已在其他网点办理") == (None, "申请人已在其他网点办理")
    assert parse_refusal_note("") == (None, "")


def test_every_action_has_reasons_and_another_one():
    for action in refusals.REFUSAL_ACTIONS:
        assert len(reasons_for(action)) >= 4
        assert reasons_for(action)[-1].code == refusals.OTHER
    assert len({x.code for x in REASONS}) == len(REASONS)
    assert len({x.zh for x in REASONS}) == len(REASONS)


def test_words_in_both_languages():
    assert reason_words("not_in_remit") == "不属于本部门职责范围"
    assert reason_words("not_in_remit", "en") == "Not within this department's remit"
    assert reason_words("retired_one", "en") == "retired_one"
    with pytest.raises(ValueError):
        reason_words("other", "fr")


def test_the_phone_gets_the_same_list():
    exported = rules()["refusals"]
    assert exported["reasons"] == [
        {"code": x.code, "zh": x.zh, "en": x.en, "actions": list(x.actions)} for x in REASONS
    ]
    assert (exported["separator"], exported["note_max"]) == (SEPARATOR, REFUSAL_NOTE_MAX)
    assert exported["other_note_min"] == OTHER_NOTE_MIN


def test_docs_api_lists_every_reason_with_its_words():
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for x in REASONS:
        assert f"| `{x.code}` | {x.zh} | " in api, x.code
    assert f"at most {REFUSAL_NOTE_MAX} characters" in api


def _vectors_module():
    spec = importlib.util.spec_from_file_location("refusal_vectors", VECTORS / "refusals.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_vectors_are_the_rules_own():
    committed = json.loads((VECTORS / "refusals.json").read_text(encoding="utf-8"))
    assert committed == _vectors_module().vectors(), (
        "run: .venv/bin/python tests/vectors/refusals.py"
    )
    reasons = {case["reason"] for case in committed["read"]}
    assert {x.code for x in REASONS} <= reasons and None in reasons
