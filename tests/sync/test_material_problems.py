"""The materials rule (sync.catalogue.material_problems) against its committed vectors, which
the phone's copy (runner/test/materials.test.js) answers the same way; and the outlet code
rule (sync.validators.outlet_code) against the records' own code type."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from sync.catalogue import CatalogueItem, material_problems
from sync.errors import InvalidValue
from sync.validators import outlet_code

VECTORS = json.loads(
    (Path(__file__).parent.parent / "vectors" / "materials.json").read_text(encoding="utf-8")
)
ITEM = msgspec.convert(VECTORS["item"], CatalogueItem)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: f"{c['provided']}/{c['promised']}")
def test_every_problem_at_once_as_the_vectors_say(case):
    got = material_problems(ITEM, set(case["provided"]), set(case["promised"]))
    assert [[p.code, p.field, p.material] for p in got] == case["problems"]


def test_the_vectors_cover_every_problem():
    codes = {p[0] for case in VECTORS["cases"] for p in case["problems"]}
    assert codes == {"material.unknown", "material.missing", "material.not_promisable"}
    assert any(not case["problems"] for case in VECTORS["cases"])


def test_a_problem_names_the_material_for_the_words():
    [card, hukou] = material_problems(ITEM, {"PHOTO"}, {"ID-CARD", "HUKOU"})
    assert (card.code, card.name) == ("material.not_promisable", "居民身份证")
    assert "居民身份证 (ID-CARD)" in card.message and hukou.material == "HUKOU"


@pytest.mark.parametrize("code", ["PO-510107-01", "TS.JINTANG_01", "A", "9" * 64])
def test_outlet_codes_the_records_carry(code):
    assert outlet_code(code) == code


@pytest.mark.parametrize("code", ["新乐镇", "PO 1", "_PO", "-PO", "", "P" * 65, "PO/1", 7])
def test_outlet_codes_the_records_refuse(code):
    with pytest.raises(InvalidValue) as refused:
        outlet_code(code)
    assert refused.value.reason == "format"
