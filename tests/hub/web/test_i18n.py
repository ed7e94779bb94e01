"""The committed catalogue covers every msgid of the hub's pages and the .mo is the compiled .po."""

from __future__ import annotations

from hub.web import i18n


def test_every_msgid_has_a_chinese_translation():
    translated = {m.id: m.string for m in i18n.read() if m.id}
    missing = [m.id for m in i18n.extract() if m.id and not translated.get(m.id)]
    assert missing == []


def test_the_mo_is_the_compiled_po():
    assert i18n.mo_is_current(), "run: python -m hub.web.i18n compile"
