"""Words for staff (agent/messages.py): Chinese from the agent's gettext catalogue, English
from the msgids or from the text that came with a refusal, and the code when nothing else."""

from __future__ import annotations

import re
import string

import pytest

from agent.messages import MESSAGES, REASONS, SAID, text

HAN = re.compile(r"[\u4e00-\u9fff]")


def placeholders(template: str) -> dict[str, str]:
    return {name: f"<{name}>" for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_reads_in_chinese_with_its_params_filled_in(code):
    params = placeholders(MESSAGES[code])
    words = text(code, "zh", "English that came with it", **params)
    assert HAN.search(words), words
    assert words != MESSAGES[code]
    assert "{" not in words
    assert all(value in words for value in params.values())  # the same {params} in Chinese


def test_chinese_words_are_the_catalogues():
    assert text("id_number.checksum", "zh", "bad check digit") == (
        "身份证号码校验位不对，可能有一位数字输错了"
    )
    assert text("sync.busy", "zh") == "另一个同步正在进行，请稍后"
    assert text("queued", "zh", "queued 7", id="7") == "已保存，等待同步（7）"
    assert text("sync.done", "zh", pushed=1, pulled=2, uploaded=3) == (
        "同步完成：上传 1 条，下载 2 条，扫描件 3 个"
    )


def test_english_shows_the_agents_own_words():
    assert text("queued", "en", "queued 7", id="7") == "saved, waiting to sync (7)"
    assert text("sync.refused", "en", reason="no") == "the hub refused the request: no"
    assert text("not_enrolled", "en") == "this device is not enrolled yet: run daiban-agent enroll"


def test_english_shows_the_text_that_came_with_a_refusal():
    assert set(REASONS).isdisjoint(SAID)
    assert text("id_number.checksum", "en", "check digit mismatch") == "check digit mismatch"
    assert text("serve.listen", "en", "cannot listen: busy", host="h", port=1) == (
        "cannot listen: busy"
    )
    assert text("staff.unknown", "en") == "staff.unknown"  # no text came: the code


def test_a_code_missing_falls_back_to_its_english_text_then_the_code():
    for lang in ("zh", "en"):
        assert text("record.invalid", lang, "cannot read x.json") == "cannot read x.json"
        assert text("record.invalid", lang) == "record.invalid"


def test_missing_params_leave_the_template_as_it_is():
    assert text("application.unknown", "zh") == "找不到这件申请：{key}"
    assert text("application.unknown", "en") == "no application {key}"
