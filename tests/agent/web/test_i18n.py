"""The agent's gettext catalogue, which its pages and its CLI read: every msgid (of the pages
and of agent/messages.py) is translated, and the committed .mo is the compiled .po (so a fresh
install has working Chinese without a build step)."""

from __future__ import annotations

from babel.messages.mofile import read_mo

from agent import messages
from agent.web import i18n


def test_every_msgid_of_the_agent_has_a_chinese_translation():
    catalogue = i18n.read()
    used = {m.id for m in i18n.extract() if m.id}
    assert len(used) > 100  # the extraction found the templates and the modules
    assert set(messages.MESSAGES.values()) <= used  # and the CLI's words
    missing = sorted(i for i in used if (m := catalogue.get(i)) is None or not m.string)
    assert not missing, "run: python -m agent.web.i18n update; translate; compile"
    fuzzy = sorted(m.id for m in catalogue if m.id and m.fuzzy)
    assert not fuzzy


def test_the_committed_mo_is_the_compiled_po():
    assert i18n.mo_is_current(), "run: python -m agent.web.i18n compile"
    with open(i18n.MO, "rb") as source:
        compiled = {m.id: m.string for m in read_mo(source) if m.id}
    assert compiled["Sign in"] == "登录"
    assert compiled["Very dissatisfied"] == "非常不满意"
    assert compiled["no application {key}"] == "找不到这件申请：{key}"


def test_the_pages_and_the_cli_read_one_catalogue():
    assert i18n.MO.parent.parent.parent == messages.TRANSLATIONS
    assert not (i18n.CATALOGUE.folder / "translations").exists()
