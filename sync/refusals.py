"""Why a department refuses an application: the common reasons, their words, and the rule.

A department refuses in two ways (docs/workflow.md): ``refuse`` (不予受理, the application is
not accepted at all) and ``reject`` (不予办理, decided against after acceptance). Either needs a
reason from :data:`REASONS`, and ``other`` needs the officer's own words too, so the outlet can
always tell the citizen why.

On the wire the reason travels in the ``note`` of the ``status.changed`` record that moves the
application to ``rejected`` (docs/protocol.md, section 4.2): the reason's Chinese words, then
``：`` and the officer's note when there is one (:func:`refusal_note`). Every agent ever
deployed shows that note as it is; a current one also reads the reason's code back out of it
(:func:`parse_refusal_note`) to word it in the outlet's language. The words of a code never
change (as codes are never reused), so a note written today is read the same way later.

Pure data and rules: the hub, the agent and the phone app (through ``python -m sync.rules``)
use this one list.
"""

from __future__ import annotations

from typing import NamedTuple, get_args

from .types import LongText

__all__ = [
    "LANGUAGES",
    "OTHER",
    "OTHER_NOTE_MIN",
    "REASONS",
    "REFUSAL_ACTIONS",
    "REFUSAL_NOTE_MAX",
    "SEPARATOR",
    "RefusalProblem",
    "RefusalReason",
    "parse_refusal_note",
    "reason",
    "reason_words",
    "reasons_for",
    "refusal_note",
    "refusal_problems",
]

# The workflow actions that refuse the citizen (hub/workflow.py).
REFUSAL_ACTIONS: tuple[str, ...] = ("refuse", "reject")

LANGUAGES: tuple[str, ...] = ("zh", "en")


class RefusalReason(NamedTuple):
    """One common reason: a stable ``code``, words in Chinese (``zh``, what the outlet reads
    out, and what the note carries) and English (``en``), and the ``actions`` it may give."""

    code: str
    zh: str
    en: str
    actions: tuple[str, ...]


_BOTH = REFUSAL_ACTIONS
OTHER = "other"

REASONS: tuple[RefusalReason, ...] = (
    RefusalReason(
        "not_in_remit",
        "不属于本部门职责范围",
        "Not within this department's remit",
        ("refuse",),
    ),
    RefusalReason(
        "not_eligible",
        "申请人不符合申请条件",
        "The applicant does not meet the conditions for this service",
        _BOTH,
    ),
    RefusalReason(
        "materials_not_genuine",
        "申请材料不真实",
        "The materials handed in are not genuine",
        _BOTH,
    ),
    RefusalReason(
        "materials_incomplete",
        "补正后材料仍不齐全或不符合要求",
        "The materials are still incomplete or not as required after the supplement",
        ("reject",),
    ),
    RefusalReason(
        "beyond_period",
        "超出规定的申请期限",
        "The application is beyond the period allowed for it",
        _BOTH,
    ),
    RefusalReason(
        "already_handled",
        "已在其他渠道申请或办理",
        "Already applied for or handled through another channel",
        ("refuse",),
    ),
    RefusalReason(OTHER, "其他原因", "Another reason", _BOTH),
)

_BY_CODE = {r.code: r for r in REASONS}

SEPARATOR = "："  # full-width colon: between the reason's words and the officer's note

# An ``other`` reason is said in the officer's own words: at least this many characters.
OTHER_NOTE_MIN = 4

# The note travels in a LongText with the reason's words before it: what is left for the note.
_LONG_TEXT_MAX: int = get_args(LongText)[1].max_length
REFUSAL_NOTE_MAX: int = _LONG_TEXT_MAX - max(len(r.zh) for r in REASONS) - len(SEPARATOR)


class RefusalProblem(NamedTuple):
    """Why a refusal cannot be made as asked: a stable ``code``, the ``field`` to fix
    (``reason`` or ``note``) and words for the officer."""

    code: str
    field: str
    message: str


def reason(code: str) -> RefusalReason | None:
    """The reason with this code, if there is one."""
    return _BY_CODE.get(code)


def reasons_for(action: str) -> tuple[RefusalReason, ...]:
    """The reasons an officer may choose for ``action`` (``refuse`` or ``reject``), in order."""
    _check_action(action)
    return tuple(r for r in REASONS if action in r.actions)


def refusal_problems(action: str, reason_code: object, note: object) -> list[RefusalProblem]:
    """Every problem with refusing by ``action`` for ``reason_code`` with ``note``, at once:
    the reason is required, known and one this action gives; ``other`` needs a note of at
    least :data:`OTHER_NOTE_MIN` characters; the note fits beside the words
    (:data:`REFUSAL_NOTE_MAX`). The one rule of the hub's API and pages."""
    _check_action(action)
    text = note.strip() if isinstance(note, str) else ""
    problems: list[RefusalProblem] = []
    code = reason_code.strip() if isinstance(reason_code, str) else ""
    found = _BY_CODE.get(code)
    if not code:
        choices = ", ".join(r.code for r in reasons_for(action))
        problems.append(
            RefusalProblem(
                "refusal.reason_missing",
                "reason",
                f"reason: say why the application is refused, one of {choices};"
                " the outlet tells the citizen",
            )
        )
    elif found is None:
        choices = ", ".join(r.code for r in reasons_for(action))
        problems.append(
            RefusalProblem(
                "refusal.reason_unknown",
                "reason",
                f"reason: no refusal reason {code!r}: one of {choices}",
            )
        )
    elif action not in found.actions:
        choices = ", ".join(r.code for r in reasons_for(action))
        problems.append(
            RefusalProblem(
                "refusal.reason_not_for_action",
                "reason",
                f"reason: {code} is not a reason to {action}: one of {choices}",
            )
        )
    if note is not None and not isinstance(note, str):
        problems.append(RefusalProblem("refusal.note_type", "note", "note: must be text"))
    elif found is not None and found.code == OTHER and len(text) < OTHER_NOTE_MIN:
        problems.append(
            RefusalProblem(
                "refusal.note_needed",
                "note",
                f"note: for another reason, say it in at least {OTHER_NOTE_MIN} characters;"
                " the outlet reads it to the citizen",
            )
        )
    if len(text) > REFUSAL_NOTE_MAX:
        problems.append(
            RefusalProblem(
                "refusal.note_too_long",
                "note",
                f"note: at most {REFUSAL_NOTE_MAX} characters with a refusal's reason",
            )
        )
    return problems


def refusal_note(reason_code: str, note: str = "") -> str:
    """What the outlet is told: the reason's Chinese words, then ``：`` and the note (if any).
    ``reason_code`` is a known code (check :func:`refusal_problems` first)."""
    words = _BY_CODE[reason_code].zh
    text = note.strip()
    return f"{words}{SEPARATOR}{text}" if text else words


def parse_refusal_note(note: str) -> tuple[str | None, str]:
    """The reason code and the officer's own note read back from a refusal's note; ``None``
    and the whole note when it does not start with a reason's words (a hub older than the
    rule, or a reason this side does not know yet)."""
    for r in REASONS:
        if note == r.zh:
            return r.code, ""
        if note.startswith(r.zh + SEPARATOR):
            return r.code, note[len(r.zh) + len(SEPARATOR) :]
    return None, note


def reason_words(code: str, lang: str = "zh") -> str:
    """The words of a reason in ``lang`` (``zh`` or ``en``); the code itself if unknown."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    found = _BY_CODE.get(code)
    if found is None:
        return code
    return found.zh if lang == "zh" else found.en


def _check_action(action: str) -> None:
    if action not in REFUSAL_ACTIONS:
        raise ValueError(
            f"{action!r} is not a refusal: expected one of {', '.join(REFUSAL_ACTIONS)}"
        )
