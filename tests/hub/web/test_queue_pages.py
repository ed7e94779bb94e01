"""The hub's queue page over 1,000 applications: "showing 1-50 of 1000", paged to the end by
its links, the 1,000th found by receipt number and phone tail, bad searches refused."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
import requests

from tests.hub.test_list_paging import LAST, hub_with_apps
from tests.hub.web.test_pages import signed_in
from tests.support.served import ServedHub


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    with hub_with_apps(tmp_path_factory.mktemp("queue") / "hub") as hub:
        yield hub


def links(page: requests.Response, testid: str) -> list[str]:
    return [
        html.unescape(h) for h in re.findall(rf'href="([^"]+)" data-testid="{testid}"', page.text)
    ]


def test_the_queue_pages_to_the_1000th_by_its_links(served: ServedHub) -> None:
    s = signed_in(served, "ops-pages", "operator")
    page = s.get(f"{served.url}/queue", timeout=10)
    assert page.status_code == 200
    assert "第 1–50 件，共 1000 件" in page.text
    pages = 1
    while True:
        following = links(page, "page-next")
        if not following:
            break
        page = s.get(f"{served.url}{following[0]}", timeout=10)
        assert page.status_code == 200
        pages += 1
    assert pages == 20
    assert LAST.receipt in page.text
    assert "第 951–1000 件，共 1000 件" in page.text
    # The last page is one click away from the first.
    first = s.get(f"{served.url}/queue", timeout=10)
    last = s.get(f"{served.url}{links(first, 'page-last')[0]}", timeout=10)
    assert LAST.receipt in last.text and not links(last, "page-next")


def test_the_1000th_is_found_by_receipt_and_phone_tail(served: ServedHub) -> None:
    s = signed_in(served, "ops-find", "operator")
    for q in (LAST.receipt, LAST.receipt.replace("-", "")[:-1], LAST.phone[-4:]):
        found = s.get(f"{served.url}/queue", params={"q": q}, timeout=10)
        assert found.status_code == 200, q
        assert LAST.receipt in found.text and "共 1 件" in found.text, q
        assert not links(found, "page-next")


def test_a_wrong_check_letter_or_a_stale_cursor_is_said_in_words(served: ServedHub) -> None:
    s = signed_in(served, "ops-bad", "operator")
    wrong = LAST.receipt[:-1] + ("A" if LAST.receipt[-1] != "A" else "B")
    refused = s.get(f"{served.url}/queue", params={"q": wrong}, timeout=10)
    assert refused.status_code == 400
    assert "校验字母不对" in refused.text
    stale = s.get(f"{served.url}/queue", params={"cursor": "not-a-cursor"}, timeout=10)
    assert stale.status_code == 400 and "从第一页重新开始" in stale.text
