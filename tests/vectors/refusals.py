"""Write tests/vectors/refusals.json: a refusal's note as the hub composes it
(sync.refusals.refusal_note) and as an outlet reads it back (parse_refusal_note), on cases the
phone's copy (runner/src/app/words.js parseRefusalNote) must read the same way.

    .venv/bin/python tests/vectors/refusals.py

tests/sync/test_refusals.py checks the committed file against the rule.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from sync.refusals import REASONS, parse_refusal_note, refusal_note  # noqa: E402

# (reason, officer's note) the hub composes; then notes as they may arrive from anywhere.
COMPOSED = [
    ("not_eligible", ""),
    ("not_in_remit", "请到区医保局办理"),
    ("other", "申请人已在其他网点办理"),
    ("materials_incomplete", "  缺少户口簿首页：请补齐后重新申请  "),
    ("beyond_period", "其他原因：不是前缀"),
]
ARRIVED = [
    "",  # a hub older than the rule, with no note
    "due date updated",
    "申请人已在其他网点办理",  # an older hub: the officer's note alone
    "其他原因",
    "其他原因:半角冒号不算",  # a half-width colon is not the separator
    "申请人不符合申请条件：",
    "申请人不符合申请条件：：两个冒号",
    "不属于本部门职责范围 请到区医保局办理",
]


def vectors() -> dict[str, object]:
    notes = [refusal_note(code, note) for code, note in COMPOSED]
    notes += [refusal_note(r.code, "说明") for r in REASONS]
    return {
        "composed": [
            {"reason": code, "note": note, "told": refusal_note(code, note)}
            for code, note in COMPOSED
        ],
        "read": [
            {"told": told, "reason": code, "note": own}
            for told in (*notes, *ARRIVED)
            for code, own in [parse_refusal_note(told)]
        ],
    }


if __name__ == "__main__":
    (HERE / "refusals.json").write_text(
        json.dumps(vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
