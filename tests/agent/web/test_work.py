"""The day's work through the pages against a real served hub: the status bar, sync now, the
lists (today, attention, pickup), supplement, hand-over and rating, and the language."""

from __future__ import annotations

import re
from typing import Any

import requests

from agent.store import local, meta, outbox, write
from sync import glossary
from tests.agent.conftest import Agent
from tests.agent.web.conftest import Pages, application_form, scan
from tests.support.served import ServedHub


def capture(pages: Pages, **changes: Any) -> dict[str, str]:
    response = pages.post(
        "/new/SS-CARD-APPLY", application_form(**changes), content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    app_id = response.location.split("/")[2]
    receipt = re.search(r'data-testid="receipt">([^<]+)<', pages.text(response.location))
    assert receipt
    return {"id": app_id, "receipt": receipt.group(1)}


def bar(page: str) -> dict[str, str]:
    """The status bar's figures, by their test ids."""
    return dict(re.findall(r'data-testid="([a-z-]+)">\s*([^<]*?)\s*<', page))


def sync_now(pages: Pages) -> str:
    response = pages.post("/sync", {"next": "/"}, page="/")
    assert response.status_code == 302 and response.location == "/"
    return pages.text("/")


def set_hub_url(agent: Agent, url: str) -> None:
    device = meta.get(agent.db, "device")
    with write(agent.db):
        meta.put(agent.db, "device", {**device, "hub_url": url})


def officer(hub: ServedHub) -> requests.Session:
    session = requests.Session()
    token = hub.user("o-wuhou", "officer", "HRSS-510107")
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def act(hub: ServedHub, api: requests.Session, app_id: str, action: str, **extra: Any) -> None:
    url = f"{hub.url}/api/v1/applications/{app_id}/actions"
    response = api.post(url, json={"action": action, **extra}, timeout=10)
    assert response.status_code == 200, response.text


def test_the_status_bar_and_sync_now_against_a_real_hub(clerk: Pages, agent, hub):
    first = bar(clerk.text("/"))
    assert first["connection"] == "尚未同步" and first["backlog"] == "0"
    assert first["last-sync"] == "-"
    made = capture(clerk)
    assert bar(clerk.text("/"))["backlog"] == "1"
    page = sync_now(clerk)
    assert "同步完成：上传 1 条" in page
    after = bar(page)
    assert after["connection"] == "在线" and after["backlog"] == "0"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", after["last-sync"])
    assert agent.application(made["id"])["hub_status"] == "routed"
    assert glossary.STATES["routed"].zh in clerk.text(
        f"/applications/{made['id']}"
    )  # the glossary's word
    # The hub goes away: work is kept and the bar says offline.
    capture(clerk)
    set_hub_url(agent, "http://127.0.0.1:9")
    page = sync_now(clerk)
    assert "连不上中心" in page
    offline = bar(page)
    assert offline["connection"] == "离线" and offline["backlog"] == "1"
    assert offline["last-sync"] == after["last-sync"]
    set_hub_url(agent, hub.url)
    assert bar(sync_now(clerk))["backlog"] == "0"


def test_sync_now_says_so_when_a_round_is_running(clerk: Pages, agent):
    capture(clerk)
    with agent.home.sync_lock():
        page = sync_now(clerk)
    assert "另一个同步正在进行" in page and "flash-busy" in page
    assert outbox.count(agent.db) == 1


def test_today_lists_todays_work(clerk: Pages):
    made = capture(clerk)
    page = clerk.text("/")
    assert made["receipt"] in page and "今天已录入 1 件（您录入 1 件）" in page
    assert "等待同步" in page


def test_a_record_the_hub_refused_is_listed_with_the_hubs_reason(clerk: Pages, agent):
    good = capture(clerk)
    bad = capture(clerk)
    # A stale device: the record names another outlet, and the hub refuses it.
    row = outbox.get(agent.db, bad["id"])
    assert row is not None
    forged = row["body"].replace(b'"outlet":"PO-WUHOU-01"', b'"outlet":"PO-OTHER"')
    with write(agent.db):
        agent.db.execute("UPDATE outbox SET body = ? WHERE record_id = ?", [forged, bad["id"]])
    page = sync_now(clerk)
    assert bar(page)["attention-count"] == "1"
    listing = clerk.text("/attention")
    assert "被中心退回" in listing and bad["receipt"] in listing
    [item] = local.open_attention(agent.db)
    assert item["reasons"][0]["message"] in listing
    assert good["receipt"] not in listing
    assert "被中心退回" in clerk.text(f"/applications/{bad['id']}")


def test_supplement_pickup_and_rating_through_the_pages(clerk: Pages, agent, hub):
    made = capture(clerk)
    sync_now(clerk)
    api = officer(hub)
    act(hub, api, made["id"], "accept")
    act(
        hub,
        api,
        made["id"],
        "request_supplement",
        materials=["PHOTO"],
        message="请补交近期免冠白底证件照",
    )
    sync_now(clerk)
    listing = clerk.text("/attention")
    assert "要求补正" in listing and "请补交近期免冠白底证件照" in listing
    page = clerk.text(f"/applications/{made['id']}")
    assert "补交材料" in page and 'name="f-PHOTO"' in page
    # Nothing chosen: refused, nothing queued.
    empty = clerk.post(f"/applications/{made['id']}/supplement", {"material": "PHOTO"}, page="/")
    assert empty.status_code == 422 and outbox.count(agent.db) == 0
    handed = clerk.post(
        f"/applications/{made['id']}/supplement",
        {"material": "PHOTO", "f-PHOTO": scan("photo.jpg"), "note": "已补交照片"},
        page="/",
        content_type="multipart/form-data",
    )
    assert handed.status_code == 302 and outbox.count(agent.db) == 1
    assert "要求补正" not in clerk.text("/attention")
    sync_now(clerk)
    assert agent.application(made["id"])["hub_status"] == "accepted"
    # The result is issued for pickup at this outlet.
    act(hub, api, made["id"], "approve")
    act(hub, api, made["id"], "issue_result")
    sync_now(clerk)
    assert made["receipt"] in clerk.text("/pickup")
    # Rating before the hand-over: capture refuses it, in its own words.
    early = clerk.post(f"/applications/{made['id']}/rate", {"level": "satisfied"}, page="/")
    assert early.status_code == 422 and "结果送达或领取后才能评价" in early.get_data(as_text=True)
    # The ID must be checked.
    unchecked = clerk.post(
        f"/applications/{made['id']}/pickup", {"collector": "applicant"}, page="/"
    )
    assert unchecked.status_code == 422
    assert re.search(r'id="err-id_checked">请先核验', unchecked.get_data(as_text=True))
    assert 'value="applicant" checked' in unchecked.get_data(as_text=True)
    handed_over = clerk.post(
        f"/applications/{made['id']}/pickup",
        {"collector": "applicant", "id_checked": "1"},
        page="/",
    )
    assert handed_over.status_code == 302
    sync_now(clerk)
    app = agent.application(made["id"])
    assert app["hub_status"] == "delivered"
    assert made["receipt"] not in clerk.text("/pickup")
    page = clerk.text(f"/applications/{made['id']}")
    assert "非常满意" in page and "非常不满意" in page
    rated = clerk.post(
        f"/applications/{made['id']}/rate",
        {"level": "very_satisfied", "comment": "很方便"},
        page="/",
    )
    assert rated.status_code == 302
    assert bar(sync_now(clerk))["backlog"] == "0"
    timeline = clerk.text(f"/applications/{made['id']}")
    for words in ("本网点录入", "已补交材料", "结果已领取", "已记录评价"):
        assert words in timeline, words


def test_the_language_switch(pages: Pages):
    assert "登录" in pages.text("/signin") and 'lang="zh-Hans"' in pages.text("/signin")
    response = pages.post("/lang", {"lang": "en", "next": "/signin"})
    assert response.location == "/signin"
    page = pages.text("/signin")
    assert "Sign in" in page and "登录" not in page and '<html lang="en">' in page
    pages.sign_in()
    today = pages.text("/")
    assert "Today's work" in today and "Not synced yet" in today
    wrong = pages.post("/lang", {"lang": "fr", "next": "https://evil.example/"})
    assert wrong.location == "/"
    assert "Today's work" in pages.text("/")  # unchanged
    pages.post("/lang", {"lang": "zh", "next": "/"})
    assert "今日工作" in pages.text("/")


def test_an_application_the_department_refused_is_listed_with_its_reason(clerk: Pages, hub):
    made = capture(clerk)
    sync_now(clerk)
    why = {"reason": "already_handled", "note": "申请人已在其他网点办理"}
    act(hub, officer(hub), made["id"], "refuse", **why)
    page = sync_now(clerk)
    assert bar(page)["attention-count"] == "1"
    listing = clerk.text("/attention")
    assert "部门不予办理" in listing and "申请人已在其他网点办理" in listing
    assert made["receipt"] in listing
