"""The catalogue file: the sample, round trips, routing and every kind of refusal."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import msgspec
import pytest

from hub.catalogue import (
    SAMPLE_COUNTIES,
    Catalogue,
    CatalogueError,
    Department,
    Unit,
    dump_catalogue,
    export_items,
    load_catalogue,
    load_catalogue_file,
    sample_catalogue,
)
from sync.catalogue import OUTLET_KINDS, CatalogueItem, unit_for
from sync.records import CatalogueUpdated

ROOT = Path(__file__).parents[2]
SAMPLE_FILE = ROOT / "hub" / "data" / "catalogue.yaml"
RECORD_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

SMALL = textwrap.dedent(
    """\
    version: 3
    city: 测试市
    departments:
      - code: HRSS
        name: 人力资源和社会保障局
        units:
          - code: HRSS-CITY
            name: 市人社局
            regions: ["*"]
          - code: HRSS-510107
            name: 武侯区人社局
            regions: ["510107"]
          - code: HRSS-JY
            name: 就业服务局
            regions: []
      - code: CA
        name: 民政局
        units:
          - code: CA-510100
            name: 市民政局
            regions: ["510100"]
    items:
      - code: SS-CARD-ACT
        name: 社会保障卡启用
        department: HRSS
        promised_days: 1
        legal_days: 5
        fee_fen: 0
        mailable: true
        outlet_kinds: [postal, mobile, township, village]
        materials:
          - {code: ID-CARD, name: 居民身份证, required: true, may_promise: false}
          - {code: PHOTO, name: 照片, required: false, may_promise: true}
        unit_by_region: {"510112": HRSS-JY}
      - code: CA-DIBAO
        name: 最低生活保障申请
        department: CA
        promised_days: 20
        legal_days: 30
    """
)


def small() -> Catalogue:
    return load_catalogue(SMALL)


def refused(text: str) -> CatalogueError:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(text)
    return info.value


# --- the sample --------------------------------------------------------------------------------


def test_sample_loads_with_enough_items_and_departments():
    cat = sample_catalogue()
    assert cat.version == 1
    assert "成都市" in cat.city
    assert len(cat.items) >= 28
    used = {i.department for i in cat.items}
    assert len(used) >= 8
    assert all(isinstance(i, CatalogueItem) for i in cat.items)
    assert cat == load_catalogue_file(SAMPLE_FILE)


def test_sample_departments_with_items_have_a_city_wide_unit():
    cat = sample_catalogue()
    used = {i.department for i in cat.items}
    for department in cat.departments:
        if department.code in used:
            assert "*" in department.routes(), department.code
            assert len(department.units) >= 4, department.code


@pytest.mark.parametrize("county", sorted(SAMPLE_COUNTIES))
def test_every_sample_item_routes_for_every_sample_county(county):
    cat = sample_catalogue()
    units = cat.units()
    for item in cat.items:
        unit = unit_for(item, county)
        assert unit in units, (item.code, county)
    assert cat.unroutable_items() == ()


def test_sample_county_units_and_item_overrides_route():
    cat = sample_catalogue()
    assert unit_for(cat.item("SS-CARD-ACT"), "510107") == "HRSS-510107"
    assert unit_for(cat.item("SS-CARD-ACT"), "510105") == "HRSS-CITY"
    # Overrides for three counties where a district unit handles the item itself.
    assert unit_for(cat.item("AMR-INDIV-REG"), "510107") == "XZSP-510107"
    assert unit_for(cat.item("AMR-INDIV-REG"), "510108") == "AMR-510108"
    assert unit_for(cat.item("SS-UNEMP-BENEFIT"), "510112") == "HRSS-510112-JY"
    assert unit_for(cat.item("SS-CARD-ACT"), "510112") == "HRSS-510112"
    assert unit_for(cat.item("TP-INSPECT-MARK"), "510121") == "TP-510121-CGS"
    assert cat.unit_name("XZSP-510107") == "武侯区行政审批局"


def test_sample_is_realistic():
    cat = sample_catalogue()
    for item in cat.items:
        assert 0 <= item.promised_days <= 20, item.code
        assert item.promised_days <= item.legal_days, item.code
        assert item.materials, item.code
        for material in item.materials:
            if material.code in ("ID-CARD", "OLD-ID"):
                assert not material.may_promise, (item.code, "an ID card is never promised")
    assert any(i.may_promise for item in cat.items for i in item.materials)
    assert any(not m.required for item in cat.items for m in item.materials)
    assert cat.item("HJ-ID-REISSUE").fee_fen == 2000
    assert not cat.item("HJ-ID-REISSUE").mailable
    assert sum(i.mailable for i in cat.items) > len(cat.items) // 2
    by_kind = {k: sum(k in i.outlet_kinds for i in cat.items) for k in OUTLET_KINDS}
    assert by_kind["postal"] > by_kind["mobile"] > 0
    assert 0 < by_kind["village"] < len(cat.items) // 2


def test_sample_makes_a_valid_catalogue_updated_record():
    cat = sample_catalogue()
    record = cat.to_record(RECORD_ID)
    assert isinstance(record, CatalogueUpdated)
    wire = msgspec.json.encode(record)
    assert msgspec.json.decode(wire, type=CatalogueUpdated) == record
    assert record.units == cat.units()


# --- the catalogue object ----------------------------------------------------------------------


def test_small_catalogue_merges_department_units_with_item_overrides():
    cat = small()
    assert cat.version == 3
    assert cat.city == "测试市"
    hrss = cat.departments[0]
    assert hrss == Department(
        code="HRSS",
        name="人力资源和社会保障局",
        units=(
            Unit("HRSS-CITY", "市人社局", "HRSS", ("*",)),
            Unit("HRSS-510107", "武侯区人社局", "HRSS", ("510107",)),
            Unit("HRSS-JY", "就业服务局", "HRSS", ()),
        ),
    )
    card = cat.item("SS-CARD-ACT")
    assert card.unit_by_region == {
        "*": "HRSS-CITY",
        "510107": "HRSS-510107",
        "510112": "HRSS-JY",
    }
    assert unit_for(card, "510112") == "HRSS-JY"
    assert unit_for(card, "510131") == "HRSS-CITY"
    assert card.material("PHOTO").may_promise
    assert cat.item("NOPE") is None
    assert cat.units() == {
        "HRSS-CITY": "市人社局",
        "HRSS-510107": "武侯区人社局",
        "HRSS-JY": "就业服务局",
        "CA-510100": "市民政局",
    }
    assert cat.unit_name("CA-510100") == "市民政局"
    assert cat.unit_name("NOPE") is None


def test_defaults_for_optional_item_keys():
    dibao = small().item("CA-DIBAO")
    assert dibao.fee_fen == 0
    assert dibao.mailable is True
    assert dibao.outlet_kinds == OUTLET_KINDS
    assert dibao.materials == ()
    assert dibao.note == ""


def test_prefecture_route_and_unroutable_items():
    cat = small()
    dibao = cat.item("CA-DIBAO")
    assert unit_for(dibao, "510107") == "CA-510100"
    assert unit_for(dibao, "520102") is None
    assert cat.unroutable_items() == (dibao,)


def test_unquoted_division_codes_are_read_as_codes():
    cat = load_catalogue(SMALL.replace('regions: ["510107"]', "regions: [510107]"))
    assert cat == small()


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_bytes("\ufeff".encode() + SMALL.encode())
    assert load_catalogue_file(path) == small()


# --- dump and export --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [small, sample_catalogue], ids=["small", "sample"])
def test_dump_then_load_round_trips(make):
    cat = make()
    text = dump_catalogue(cat)
    assert load_catalogue(text) == cat
    assert dump_catalogue(load_catalogue(text)) == text


def test_dump_is_readable_and_keeps_only_overrides():
    text = dump_catalogue(sample_catalogue())
    assert "社会保障卡启用" in text
    assert "\\u" not in text
    assert text.index("version:") < text.index("departments:") < text.index("items:")
    # Only the five items with overrides (for 510107, 510112, 510121) carry unit_by_region.
    assert text.count("unit_by_region:") == 5


def test_export_items_is_json_ready_with_the_wire_keys():
    cat = sample_catalogue()
    exported = export_items(cat)
    assert len(exported) == len(cat.items)
    keys = {
        "code",
        "name",
        "department",
        "unit_by_region",
        "outlet_kinds",
        "mailable",
        "promised_days",
        "legal_days",
        "fee_fen",
        "materials",
    }
    for entry in exported:
        assert keys <= entry.keys()
        for material in entry["materials"]:
            assert set(material) == {"code", "name", "required", "may_promise"}
    decoded = json.loads(json.dumps(exported, ensure_ascii=False))
    assert decoded == exported
    assert msgspec.convert(decoded, list[CatalogueItem]) == list(cat.items)


# --- refusals ------------------------------------------------------------------------------------

ITEM0 = "items[0] (SS-CARD-ACT)"


@pytest.mark.parametrize(
    ("old", "new", "where", "problem"),
    [
        # unknown keys, with a suggestion
        ("    mailable: true", "    mailabel: true", ITEM0, "unknown key 'mailabel'"),
        ("city: 测试市", "citty: 测试市", "catalogue", "did you mean 'city'"),
        (
            "    name: 民政局\n",
            "    name: 民政局\n    head: 张三\n",
            "departments[1]",
            "unknown key 'head'",
        ),
        (
            "name: 照片, required",
            "name: 照片, requierd: true, required",
            f"{ITEM0}.materials[1]",
            "unknown key 'requierd'",
        ),
        # required keys
        ("    legal_days: 5\n", "", ITEM0, "missing key 'legal_days'"),
        ("version: 3\n", "", "catalogue", "missing key 'version'"),
        ("    promised_days: 1", "    promised_days:", ITEM0, "'promised_days' is empty"),
        # duplicates
        ("  - code: CA-DIBAO", "  - code: SS-CARD-ACT", "items[1] (SS-CARD-ACT)", "duplicate item"),
        ("  - code: CA\n", "  - code: HRSS\n", "departments[1]", "duplicate department code"),
        ("code: CA-510100", "code: HRSS-CITY", "departments[1].units[0]", "duplicate unit code"),
        ("code: PHOTO", "code: ID-CARD", f"{ITEM0}.materials[1]", "material code 'ID-CARD'"),
        (
            'regions: ["510107"]',
            'regions: ["510107", "*"]',
            "departments[0].units[1]",
            "region '*' is already served by unit 'HRSS-CITY'",
        ),
        # references
        ("department: CA", "department: XYZ", "items[1] (CA-DIBAO)", "unknown department 'XYZ'"),
        ('{"510112": HRSS-JY}', '{"510112": HRSS-JJ}', ITEM0, "unknown unit 'HRSS-JJ'"),
        # values
        (
            "promised_days: 20",
            "promised_days: 31",
            "items[1] (CA-DIBAO)",
            "promised_days 31 exceeds legal_days 30",
        ),
        ('regions: ["510107"]', 'regions: ["5101"]', "departments[0].units[1]", "region '5101'"),
        ('{"510112": HRSS-JY}', '{"51011x": HRSS-JY}', ITEM0, "region '51011x'"),
        ("village]", "villages]", ITEM0, "outlet kind 'villages'"),
        ("[postal, mobile, township, village]", "[]", ITEM0, "outlet_kinds is empty"),
        ("village]", "village, postal]", ITEM0, "outlet kind 'postal' is listed twice"),
        ("  - code: CA-DIBAO", "  - code: CA DIBAO", "items[1]", "is not a code"),
        # types
        ("legal_days: 5", "legal_days: five", ITEM0, "legal_days must be a whole number"),
        ("legal_days: 5", "legal_days: 5.5", ITEM0, "legal_days must be a whole number"),
        ("fee_fen: 0", "fee_fen: -100", ITEM0, "fee_fen must not be negative"),
        ("mailable: true", "mailable: maybe", ITEM0, "mailable must be true or false"),
        ("version: 3", "version: 0", "catalogue", "version must be a whole number from 1"),
        ("version: 3", "version: three", "catalogue", "version must be a whole number"),
        ("  - code: CA-DIBAO", "  - code: 1234", "items[1]", "code must be text (write it in"),
        ("name: 社会保障卡启用", "name: [社会保障卡启用]", ITEM0, "name must be text"),
        ("name: 社会保障卡启用", "name: ' '", ITEM0, "name is blank"),
        ("regions: []", "regions: 510112", "departments[0].units[2]", "regions must be a list"),
        (
            "    units:\n      - code: CA-510100\n        name: 市民政局\n"
            '        regions: ["510100"]\n',
            "    units: CA-510100\n",
            "departments[1]",
            "units must be a list",
        ),
        ('{"510112": HRSS-JY}', "[HRSS-JY]", ITEM0, "unit_by_region must be a mapping"),
    ],
)
def test_bad_input_is_refused_naming_where(old, new, where, problem):
    assert old in SMALL
    error = refused(SMALL.replace(old, new, 1))
    assert error.where == where
    assert problem in error.problem
    assert str(error).startswith(f"{where}: ")
    assert problem in str(error)
    assert isinstance(error, ValueError)
    assert isinstance(error.line, int)


def test_error_names_the_line():
    text = SMALL.replace("legal_days: 30", "legal_days: 10")
    error = refused(text)
    assert str(error).startswith("items[1] (CA-DIBAO): promised_days 20 exceeds legal_days 10")
    line = text.splitlines()[error.line - 1]
    assert "promised_days: 20" in line
    assert str(error).endswith(f"(line {error.line})")


def test_syntax_error_reports_its_line():
    text = SMALL.replace("    fee_fen: 0\n", "    fee_fen: 0\n   mailable: [true\n", 1)
    error = refused(text)
    assert error.where.startswith("line ")
    assert "not valid YAML" in error.problem
    bad = text.splitlines().index("   mailable: [true") + 1
    assert error.line in (bad, bad + 1)
    assert str(error).startswith(f"line {error.line}, column ")


def test_repeated_key_is_refused_not_silently_overwritten():
    text = SMALL.replace("    legal_days: 5\n", "    legal_days: 5\n    legal_days: 50\n", 1)
    error = refused(text)
    assert "'legal_days' appears twice" in error.problem
    assert "legal_days: 50" in text.splitlines()[error.line - 1]


def test_yaml_merge_keys_may_override():
    text = textwrap.dedent(
        """\
        version: 1
        departments:
          - code: D
            name: 部门
            units: [{code: U, name: 单位, regions: ["*"]}]
        items:
          - &base {code: A, name: 甲, department: D, promised_days: 1, legal_days: 5}
          - {<<: *base, code: B, name: 乙}
        """
    )
    cat = load_catalogue(text)
    assert [i.code for i in cat.items] == ["A", "B"]
    assert cat.city == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("version: 1\ndepartments: {}\nitems: []\n", "departments must be a list"),
        ("version: 1\ndepartments: []\nitems: [7]\n", "must be a mapping"),
    ],
)
def test_bad_top_level_is_refused(text, problem):
    error = refused(text)
    assert problem in error.problem


MATERIALS_BLOCK = """\
    materials:
      - {code: ID-CARD, name: 居民身份证, required: true, may_promise: false}
      - {code: PHOTO, name: 照片, required: false, may_promise: true}
"""


@pytest.mark.parametrize("value", ["居民身份证、照片", "{ID-CARD: 居民身份证}", "7"])
def test_materials_that_are_not_a_list_are_refused(value):
    assert MATERIALS_BLOCK in SMALL
    error = refused(SMALL.replace(MATERIALS_BLOCK, f"    materials: {value}\n"))
    assert error.where == ITEM0
    assert "materials must be a list" in error.problem


def test_material_type_errors_name_the_material():
    error = refused(SMALL.replace("required: false, may_promise: true", "required: no, m: 1"))
    assert error.where == f"{ITEM0}.materials[1]"
    assert "unknown key 'm'" in error.problem
    error = refused(SMALL.replace("may_promise: true}", "may_promise: 'yes'}"))
    assert error.where == f"{ITEM0}.materials[1]"
    assert "may_promise must be true or false" in error.problem
    error = refused(SMALL.replace("      - {code: PHOTO", "      - PHOTO #"))
    assert error.where == f"{ITEM0}.materials[1]"


def test_note_too_long_is_refused():
    text = SMALL.replace("legal_days: 30\n", f"legal_days: 30\n    note: {'长' * 201}\n")
    error = refused(text)
    assert error.where == "items[1] (CA-DIBAO)"
    assert "at most 200" in error.problem


def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_bytes(SMALL.encode("gbk"))
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_catalogue_file(path)


def test_nothing_partial_is_returned_on_error(tmp_path):
    # The error is in the last item: the earlier, good ones are not returned either.
    text = SMALL.replace("department: CA", "department: XYZ")
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    result = None
    with pytest.raises(CatalogueError):
        result = load_catalogue_file(path)
    assert result is None
    assert path.read_text(encoding="utf-8") == text
    # And a failed load leaves nothing behind that the next load could pick up.
    assert load_catalogue(SMALL) == small()


def test_the_documented_example_loads_and_routes():
    doc = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    item = load_catalogue(example).item("SS-UNEMP-BENEFIT")
    assert unit_for(item, "510112") == "HRSS-510112-JY"
    assert unit_for(item, "510107") == "HRSS-510107"
    assert unit_for(item, "510131") == "HRSS-CITY"


# --- the file's shape is msgspec's; its complaints come out in the file's words ---------------


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "version: 3",
            "version: three",
            "catalogue",
            "version must be a whole number from 1, got text ('three')",
        ),
        (
            "version: 3",
            "version: 0",
            "catalogue",
            "version must be a whole number from 1, got a number (0)",
        ),
        (
            "legal_days: 5",
            "legal_days: five",
            ITEM0,
            "legal_days must be a whole number, got text ('five')",
        ),
        (
            "fee_fen: 0",
            "fee_fen: true",
            ITEM0,
            "fee_fen must be a whole number, got true/false (true)",
        ),
        ("fee_fen: 0", "fee_fen: -100", ITEM0, "fee_fen must not be negative, got -100"),
        (
            "name: 社会保障卡启用",
            f"name: {'长' * 101}",
            ITEM0,
            "name is 101 characters long; at most 100",
        ),
        (
            "city: 测试市",
            f"city: {'长' * 101}",
            "catalogue",
            "city is 101 characters long; at most 100",
        ),
        (
            "  - code: CA-DIBAO",
            "  - code: 1234",
            "items[1]",
            "code must be text (write it in quotes), got a number (1234)",
        ),
        (
            "department: CA",
            "department: C A",
            "items[1] (CA-DIBAO)",
            "department 'C A' is not a code",
        ),
        ("village]", "7]", ITEM0, "outlet kind 7 is not one of postal, mobile, township, village"),
        (
            'regions: ["510107"]',
            'regions: ["510107", 5101]',
            "departments[0].units[1]",
            "region '5101' is not a 6-digit division code or '*'",
        ),
        (
            '{"510112": HRSS-JY}',
            '{"510112": 7}',
            ITEM0,
            "unit_by_region['510112'] must be text (write it in quotes), got a number (7)",
        ),
        (
            '{"510112": HRSS-JY}',
            '{"510112": HRSS-JY, "5101": HRSS-JY}',
            ITEM0,
            "region '5101' is not a 6-digit division code or '*'",
        ),
        ("    mailable: true", "    7: true", ITEM0, "unknown key 7 (allowed: code, name,"),
        (
            "    mailable: true",
            "    mailabel: true",
            ITEM0,
            "unknown key 'mailabel'; did you mean 'mailable'? (allowed: code, name, department, "
            "promised_days, legal_days, fee_fen, mailable, outlet_kinds, materials, "
            "unit_by_region, note)",
        ),
        ("name: 照片", "name: ''", f"{ITEM0}.materials[1]", "name is blank"),
        ("  - code: CA-DIBAO", "  - code:", "items[1]", "'code' is empty"),
    ],
)
def test_shape_problems_say_what_and_where_in_the_files_words(old, new, where, message):
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    error = refused(text)
    assert (error.where, error.problem[: len(message)]) == (where, message)
    assert isinstance(error.line, int)
    assert new.strip().split(":")[0].strip("- ") in text.splitlines()[error.line - 1]


def test_empty_values_read_as_absent():
    text = SMALL.replace(
        "    outlet_kinds: [postal, mobile, township, village]\n", "    outlet_kinds:\n"
    )
    text = text.replace("    fee_fen: 0\n", "    fee_fen:\n    note:\n")
    assert load_catalogue(text) == small()
    bare = "version: 1\ncity:\ndepartments:\n  - {code: D, name: 部门, units:}\nitems: []\n"
    cat = load_catalogue(bare)
    assert (cat.city, cat.departments) == ("", (Department("D", "部门", ()),))


def test_unquoted_division_codes_are_read_as_codes_in_item_routes():
    cat = load_catalogue(SMALL.replace('{"510112": HRSS-JY}', "{510112: HRSS-JY}"))
    assert cat == small()


def test_every_documented_error_still_comes_out_so():
    doc = (ROOT / "docs" / "catalogue.md").read_text(encoding="utf-8")
    documented = re.search(r"## Errors\n.*?```\n(.*?)```", doc, re.S).group(1)
    cases = {
        "catalogue: missing key 'items'": SMALL[: SMALL.index("items:")],
        "departments[1]: duplicate department code 'HRSS' (already at departments[0])": (
            SMALL.replace("  - code: CA\n", "  - code: HRSS\n")
        ),
        "items[0] (SS-CARD-ACT): legal_days must be a whole number, got text ('five')": (
            SMALL.replace("legal_days: 5", "legal_days: five")
        ),
        "items[0] (SS-CARD-ACT): materials must be a list, got text ('居民身份证')": (
            SMALL.replace(MATERIALS_BLOCK, "    materials: 居民身份证\n")
        ),
        "items[1] (SS-CARD-ACT): duplicate item code 'SS-CARD-ACT' (already at items[0])": (
            SMALL.replace("  - code: CA-DIBAO", "  - code: SS-CARD-ACT")
        ),
    }
    for message, text in cases.items():
        shape = re.sub(r"\[\d+\]|'[^']*'|\([A-Z][^)]*\)", "_", message)
        assert any(
            re.sub(r"\[\d+\]|'[^']*'|\([A-Z][^)]*\)", "_", line).startswith(shape)
            for line in documented.splitlines()
        ), message
        assert str(refused(text)).startswith(message)
