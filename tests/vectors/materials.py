"""Write tests/vectors/materials.json: the materials rule (sync.catalogue.material_problems)
on cases the phone's copy (runner/src/app/capture.js) must answer the same way.

    .venv/bin/python tests/vectors/materials.py

tests/sync/test_material_problems.py checks the committed file against the rule.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

import msgspec  # noqa: E402

from sync.catalogue import CatalogueItem, MaterialSpec, material_problems  # noqa: E402

ITEM = CatalogueItem(
    code="SS-CARD-APPLY",
    name="社会保障卡申领",
    department="HRSS",
    promised_days=5,
    legal_days=20,
    materials=(
        MaterialSpec(code="ID-CARD", name="居民身份证", required=True),
        MaterialSpec(code="PHOTO", name="近期免冠白底证件照", required=True, may_promise=True),
        MaterialSpec(code="HUKOU", name="户口簿", required=False),
    ),
)
CASES = [
    ([], []),
    (["ID-CARD", "PHOTO"], []),
    (["ID-CARD"], ["PHOTO"]),
    ([], ["ID-CARD", "PHOTO"]),
    (["ID-CARD", "ZZ", "AA"], ["BB"]),
    (["HUKOU"], ["HUKOU"]),
    (["PHOTO"], ["ID-CARD"]),
]


def vectors() -> dict[str, object]:
    return {
        "item": msgspec.to_builtins(ITEM),
        "cases": [
            {
                "provided": provided,
                "promised": promised,
                "problems": [
                    [p.code, p.field, p.material]
                    for p in material_problems(ITEM, set(provided), set(promised))
                ],
            }
            for provided, promised in CASES
        ],
    }


if __name__ == "__main__":
    (HERE / "materials.json").write_text(
        json.dumps(vectors(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
