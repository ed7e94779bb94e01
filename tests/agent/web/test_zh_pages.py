"""The outlet's pages in Chinese show no raw English, codes or ASCII punctuation in Chinese
text (the same checks as the hub's pages: tests/hub/web/test_zh_pages.py)."""

from __future__ import annotations

from tests.agent.web.conftest import Pages
from tests.agent.web.test_work import act, capture, officer, sync_now
from tests.hub.web.test_zh_pages import problems, visible_text
from tests.support.served import ServedHub


def test_the_outlets_pages_in_chinese(clerk: Pages, hub: ServedHub) -> None:
    waiting, refused, asked = capture(clerk), capture(clerk), capture(clerk)
    sync_now(clerk)
    api = officer(hub)
    act(hub, api, refused["id"], "refuse", reason="not_in_remit", note="请到区医保局办理")
    act(hub, api, asked["id"], "accept")
    act(hub, api, asked["id"], "request_supplement", materials=["PHOTO"], message="请补交照片")
    sync_now(clerk)
    found = {}
    for path in (
        "/",
        "/applications",
        "/attention",
        "/pickup",
        "/new",
        "/new/SS-CARD-APPLY",
        *(f"/applications/{a['id']}" for a in (waiting, refused, asked)),
        f"/applications/{waiting['id']}/receipt",
        f"/applications/{waiting['id']}/receipt?layout=slip",
    ):
        page = clerk.get(path)
        assert page.status_code == 200, path
        text = visible_text(page.get_data(as_text=True))
        # "shbzk": the pinyin initials the item search takes, shown as the example to type.
        found[path] = sorted(set(problems(text)) - {"shbzk"})
    assert {p: f for p, f in found.items() if f} == {}
