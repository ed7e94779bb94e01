"""A department's refusal (不予受理 / 不予办理) as outlet staff read it out to the citizen.

The hub tells the outlet why in the note of the ``status.changed`` record to ``rejected``: the
reason's Chinese words, then ``：`` and the officer's note (sync/refusals.py). The agent keeps
that note on the application (``refusal``, also once the application moved on to the written
refusal and its hand-over); this module words it in the page's language, the same words the
phone app shows (runner/src/app/words.js ``refusalText``, from rules.json).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sync import refusals

__all__ = ["NO_REASON", "Refusal", "refusal", "refusal_words"]

# A refusal the hub gave no reason for (a hub older than the rule): staff should ask.
NO_REASON = {
    "zh": "部门没有说明原因，请联系中心询问",
    "en": "The department gave no reason: ask the hub",
}


class Refusal(NamedTuple):
    """A refusal as told: the reason's ``code`` (None when the note names no reason this
    agent knows), the officer's own ``note``, and the whole note the hub sent (``told``)."""

    code: str | None
    note: str
    told: str


def refusal(app: Mapping[str, Any]) -> Refusal | None:
    """The department's refusal of an application row (agent/store/local.py), or None if it
    was not refused."""
    told = app.get("refusal")
    if told is None and app.get("hub_status") != "rejected":
        return None
    told = told or ""
    code, note = refusals.parse_refusal_note(told)
    return Refusal(code, note, told)


def refusal_words(app: Mapping[str, Any], lang: str = "zh") -> str | None:
    """What staff tell the citizen, in ``lang`` (``zh`` or ``en``): the reason's words and
    the officer's note (``申请人不符合申请条件：…``), the note as the hub sent it when it names
    no reason this agent knows, or :data:`NO_REASON`; None if the application was not
    refused."""
    found = refusal(app)
    if found is None:
        return None
    if lang not in refusals.LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected zh or en")
    if found.code is None:
        return found.told or NO_REASON[lang]
    words = refusals.reason_words(found.code, lang)
    if not found.note:
        return words
    return f"{words}{refusals.SEPARATOR if lang == 'zh' else ': '}{found.note}"
