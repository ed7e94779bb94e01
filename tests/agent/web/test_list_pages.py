"""The outlet's list pages over 1,000 applications: all applications paged to the 1,000th by
their links and found by search, today's list paged with its totals, bad searches said in
words (sync.paging through webbase.listing)."""

from __future__ import annotations

import html
import re

from agent.store import write
from tests.agent.conftest import Agent
from tests.agent.web.conftest import Pages
from tests.hub import many_apps

APPS = many_apps.made(1000)
FIRST = APPS[0]  # the first captured: the 1,000th shown, newest first


def load(agent: Agent) -> None:
    with write(agent.db):
        many_apps.into_agent(agent.db, APPS)


def links(text: str, testid: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'href="([^"]+)" data-testid="{testid}"', text)]


def test_all_applications_page_to_the_1000th(agent: Agent, clerk: Pages) -> None:
    load(agent)
    page = clerk.get("/applications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "第 1–50 件，共 1000 件" in text
    pages = 1
    while following := links(text, "page-next"):
        page = clerk.get(following[0])
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        pages += 1
    assert pages == 20 and FIRST.receipt in text
    assert "第 951–1000 件，共 1000 件" in text


def test_the_1000th_is_found_by_its_receipt_start_phone_tail_and_name(
    agent: Agent, clerk: Pages
) -> None:
    load(agent)
    # The whole receipt number opens the application at once.
    opened = clerk.get(f"/applications?q={FIRST.receipt}")
    assert opened.status_code == 302 and f"/applications/{FIRST.id}" in opened.location
    for q in (FIRST.receipt[:-2], FIRST.phone[-4:]):
        found = clerk.get("/applications", query_string={"q": q}).get_data(as_text=True)
        assert FIRST.receipt in found and "共 1 件" in found, q
    surname = sum(1 for a in APPS if a.name[0] == FIRST.name[0])
    named = clerk.get("/applications", query_string={"q": FIRST.name[0], "limit": "500"})
    text = named.get_data(as_text=True)
    assert f"共 {surname} 件" in text and FIRST.receipt in text


def test_a_bad_search_or_page_is_said_in_words(agent: Agent, clerk: Pages) -> None:
    load(agent)
    wrong = FIRST.receipt[:-1] + ("A" if FIRST.receipt[-1] != "A" else "B")
    refused = clerk.get("/applications", query_string={"q": wrong})
    assert refused.status_code == 400
    assert "校验字母不对" in refused.get_data(as_text=True)
    stale = clerk.get("/applications", query_string={"cursor": "not-a-cursor"})
    assert stale.status_code == 400 and "从第一页重新开始" in stale.get_data(as_text=True)


def test_pickups_and_today_page_with_their_totals(agent: Agent, clerk: Pages) -> None:
    load(agent)
    waiting = [
        a
        for n, a in enumerate(APPS)
        if many_apps.agent_row(a, n)["hub_status"] == "ready_for_pickup"
    ]
    text = clerk.get("/pickup").get_data(as_text=True)
    assert len(waiting) == 100 and "第 1–50 件，共 100 件" in text
    last = clerk.get(links(text, "page-last")[0]).get_data(as_text=True)
    assert "第 51–100 件，共 100 件" in last and waiting[0].receipt in last
    # Today's list counts the day's applications (none of the 1,000 is from today) and the
    # pickups waiting, from the same paged reads.
    today = clerk.get("/").get_data(as_text=True)
    assert "今天已录入 0 件" in today and "100" in today


def test_the_attention_list_pages_too(agent: Agent, clerk: Pages) -> None:
    load(agent)
    text = clerk.get("/attention").get_data(as_text=True)
    total = int(re.search(r"共 (\d+) 件", text).group(1))  # type: ignore[union-attr]
    assert total > 50 and "第 1–50 件" in text
    pages = 1
    while following := links(text, "page-next"):
        text = clerk.get(following[0]).get_data(as_text=True)
        pages += 1
    assert pages == -(-total // 50)
    assert f"–{total} 件，共 {total} 件" in text
