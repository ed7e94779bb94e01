"""The runner's JavaScript protocol core (runner/src/protocol/) against sync/.

* its Node unit tests (``npm test`` in runner/: the vectors of tests/vectors/ and more);
* runner/src/generated/rules.json is a fresh ``python -m sync.rules`` export, so each rule
  that is data keeps one definition, the Python one;
* the JavaScript validators, masking and identifiers give what sync/ gives on a corpus of
  typed values, valid and not.

Node and runner/node_modules (``npm ci`` in runner/) are required: missing, these fail.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stdnum.iso7064 import mod_11_2

from sync import ids, masking, rules, validators
from sync.errors import InvalidValue

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "runner"
RULES = RUNNER / "src" / "generated" / "rules.json"
TODAY = dt.date(2026, 11, 23)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the runner's protocol core needs Node 20 or later")
    if not (RUNNER / "node_modules").is_dir():
        pytest.fail("runner/node_modules is missing: run `npm ci` in runner/")
    return node


def test_rules_json_is_a_fresh_export() -> None:
    assert RULES.read_text(encoding="utf-8") == rules.render(), (
        "run: .venv/bin/python -m sync.rules > runner/src/generated/rules.json"
    )


def test_node_unit_tests_pass() -> None:
    _node()
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed")
    done = subprocess.run(
        [npm, "test"], cwd=RUNNER, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"npm test failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert "# fail 0" in done.stdout


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _corpus(rng: random.Random) -> list[tuple[str, Any]]:
    cases: list[tuple[str, Any]] = []
    for _ in range(300):
        body = rng.choice(["110105", "510107", "990101", "420111", _digits(rng, 6)])
        born = f"{rng.randint(1870, 2030)}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        number = body + born + _digits(rng, 3)
        number += rng.choice([mod_11_2.calc_check_digit(number), "X", "x", "0"])
        cases += [("resident_id", number), ("resident_id_warnings", number)]
        cases.append(("resident_id", body + born[2:] + _digits(rng, 3)))
    cases += [
        ("resident_id", x)
        for x in [
            "",
            " ",
            "11010519491231002X\n",
            "１１０１０５１９４９１２３１００２Ｘ",
            "1101-0519-4912-3100-2X",
            42,
        ]
    ]
    for _ in range(150):
        code = "".join(rng.choice(validators._USCC_ALPHABET) for _ in range(17))
        code = code[:2] + _digits(rng, 6) + code[8:]
        total = sum(
            validators._USCC_ALPHABET.index(c) * w
            for c, w in zip(code, validators._USCC_WEIGHTS, strict=False)
        )
        check = validators._USCC_ALPHABET[(31 - total % 31) % 31]
        cases.append(("credit_code", code + rng.choice([check, "0", "I"])))
    cases += [
        ("credit_code", x)
        for x in ["91350100m000100y43", "913501OOM000100Y43", "", "9135 0100 M000 100Y 43"]
    ]
    prefixes = [
        "",
        "+86",
        "0086",
        "86",
        "+86 ",
        "(+86)",
        "0",
        "17951",
        "+1",
        "+44",
        "00",
        "+",
        "+999",
    ]
    for _ in range(400):
        number = rng.choice(["1", "0", "2", "9"]) + _digits(rng, rng.choice([9, 10, 11]))
        if rng.random() < 0.5:
            number = rng.choice(
                ["13", "15", "17", "18", "19", "14", "16", "12", "10", "11"]
            ) + _digits(rng, 9)
        sep = rng.choice(["", " ", "-"])
        typed = rng.choice(prefixes) + sep.join([number[:3], number[3:7], number[7:]])
        cases.append(("mobile", typed + rng.choice(["", "", "", " ext. 12", "#9", "a"])))
    cases += [
        ("mobile", x)
        for x in [
            "13812345678",
            "１３８１２３４５６７８",
            "abc",
            "",
            "+",
            "10086",
            "138-1234-5678 转 8",
            "tel:+8613812345678",
        ]
    ]
    for _ in range(150):
        serial = _digits(rng, 8)
        letters = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        check = rng.choice([validators.s10_check_digit(serial), _digits(rng, 1)])
        cases.append(("tracking_number", letters[:2] + serial + check + letters[2:]))
        cases.append(("tracking_number", _digits(rng, 13)))
        cases.append(("tracking_number", rng.choice(["SF", "1A", "YT", ""]) + _digits(rng, 11)))
    for _ in range(150):
        tag = ids.device_tag(rng.randrange(32**4))
        seq = rng.choice([1, 42, rng.randrange(1, 10**9)])
        cases.append(("receipt_number", [tag, seq]))
        good = ids.receipt_number(tag, seq)
        i = rng.randrange(len(good))
        typo = good[:i] + rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-") + good[i + 1 :]
        cases += [("check_receipt", good.lower()), ("check_receipt", typo)]
    cases += [("device_tag", n) for n in (0, 1, 31, 32, 1000, 32**4 - 1, 32**4, -1)]
    names = ["张三", "欧阳娜娜", "李", "", "  王五 ", "Ａ", "𠀀𠀁"]
    cases += [("mask_name", n) for n in names]
    cases += [
        ("mask_id_number", n) for n in ["510105199001011234", "12345678", "123456789", " 1234 "]
    ]
    cases += [("mask_phone", n) for n in ["13812345678", "1234567", "12345678", ""]]
    addresses = [
        "四川省成都市武侯区人民南路四段1号",
        "北京市朝阳区建国路88号",
        "新疆维吾尔自治区乌鲁木齐市天山区解放北路",
        "广西壮族自治区南宁市青秀区",
        "香港特别行政区中西区皇后大道",
        "延边朝鲜族自治州延吉市河南街",
        "成都市3号市场",
        "人民南路四段1号",
        "某某",
        "",
        "四川省",
        "四川省成都市武侯区",
        "阿坝藏族羌族自治州马尔康市",
        "内蒙古自治区呼伦贝尔市海拉尔区",
        "浙江省杭州市西湖区文三路１２号",
    ]
    cases += [("mask_address", a) for a in addresses]
    return cases


_PYTHON: dict[str, Callable[[Any], Any]] = {
    "resident_id": lambda x: validators.resident_id(x, today=TODAY),
    "resident_id_warnings": lambda x: len(validators.inspect_resident_id(x, today=TODAY).warnings),
    "credit_code": validators.credit_code,
    "mobile": validators.mobile,
    "tracking_number": validators.tracking_number,
    "check_receipt": ids.check_receipt,
    "receipt_number": lambda x: ids.receipt_number(x[0], x[1]),
    "device_tag": ids.device_tag,
    "mask_name": masking.mask_name,
    "mask_id_number": masking.mask_id_number,
    "mask_phone": masking.mask_phone,
    "mask_address": masking.mask_address,
}


def _python(name: str, value: Any) -> dict[str, Any]:
    try:
        return {"ok": _PYTHON[name](value)}
    except InvalidValue as exc:
        return {"reason": exc.reason, "field": exc.field, "message": exc.message}


def test_javascript_rules_give_what_sync_gives() -> None:
    node = _node()
    cases = _corpus(random.Random(20261123))
    done = subprocess.run(
        [node, str(RUNNER / "test" / "crosscheck.mjs")],
        input=json.dumps(cases, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DAIBAN_CROSSCHECK": "1"},
    )
    assert done.returncode == 0, done.stderr
    js = json.loads(done.stdout)
    differ = [
        (name, value, want, got)
        for (name, value), got in zip(cases, js, strict=True)
        if (want := _python(name, value)) != got
    ]
    assert not differ, (
        "\n".join(repr(d) for d in differ[:20]) + f"\n({len(differ)} of {len(cases)})"
    )
