"""A whole working day at the counter (issue 16): a hand-over and a rating are recorded once,
attention items can be marked as dealt with, a revoked laptop says so, the new-application
form shows every problem at once and takes the county from a list, and the pages speak
Chinese (names, reasons) with the technical detail folded away."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from agent import capture as cap
from agent.store import local, meta, outbox, write
from tests.agent.conftest import Agent
from tests.agent.web.conftest import CLERK, Pages, application_form, scan
from tests.agent.web.test_work import act, bar, capture, officer, set_hub_url, sync_now
from tests.support.served import ServedHub

DETAILS = re.compile(r"<details.*?</details>", re.DOTALL)


def ready_for_pickup(clerk: Pages, hub: ServedHub) -> dict[str, str]:
    """An application whose result waits at this outlet, as the laptop knows it."""
    made = capture(clerk)
    sync_now(clerk)
    api = officer(hub)
    for action in ("accept", "approve", "issue_result"):
        act(hub, api, made["id"], action)
    sync_now(clerk)
    return made


def posted(pages: Pages, path: str, data: dict[str, Any]) -> tuple[int, str]:
    response = pages.post(path, data, page="/")
    return response.status_code, response.get_data(as_text=True)


def revoke(hub: ServedHub, agent: Agent) -> None:
    from hub import store
    from hub.store import write as hub_write

    db = hub.db()
    try:
        with hub_write(db):
            device_id = meta.get(agent.db, "device")["device_id"]
            store.devices.revoke_device(db, device_id, reason="lost", now=hub.clock())
    finally:
        db.close()


# --- 1. a hand-over and a rating are recorded once -------------------------------------------


def test_a_hand_over_is_recorded_once_and_the_form_gives_way_to_what_was_recorded(
    clerk: Pages, agent: Agent, hub: ServedHub
):
    made = ready_for_pickup(clerk, hub)
    page = f"/applications/{made['id']}"
    assert 'id="pickup"' in clerk.text(page)
    status, _ = posted(clerk, f"{page}/pickup", {"collector": "applicant", "id_checked": "1"})
    assert status == 302 and outbox.count(agent.db) == 1
    shown = clerk.text(page)
    assert 'id="pickup"' not in shown  # the form is gone...
    recorded = re.search(
        r'data-testid="handed-over" data-state="pending">(.*?)</section>', shown, re.S
    )
    assert recorded, shown  # ...for what was recorded, by whom, and that it waits to sync
    assert "申请人本人" in recorded.group(1) and "王芳" in recorded.group(1)
    assert "等待同步" in recorded.group(1)
    # A second hand-over is refused here, in Chinese, and nothing more is queued.
    status, again = posted(clerk, f"{page}/pickup", {"collector": "proxy", "id_checked": "1"})
    assert status == 422 and outbox.count(agent.db) == 1
    assert "交付已经记录过了" in again and "王芳" in again
    assert "cannot hand_over" not in again
    with pytest.raises(cap.CaptureError) as twice:  # the rule, as the CLI meets it too
        cap.pickup(agent.db, made["id"], staff=CLERK, collector="applicant", now_ms=hub.clock())
    assert twice.value.code == "pickup.pending"
    # Synced: the hub has it; a hand-over is still refused, now as done.
    sync_now(clerk)
    assert agent.application(made["id"])["hub_status"] == "delivered"
    assert 'data-testid="handed-over" data-state="sent"' in clerk.text(page)
    with pytest.raises(cap.CaptureError) as refused:
        cap.pickup(agent.db, made["id"], staff=CLERK, collector="applicant", now_ms=hub.clock())
    assert refused.value.code == "pickup.done"
    assert not local.open_attention(agent.db)  # the hub never had to refuse one


def test_a_rating_is_recorded_once_and_an_opposite_one_is_refused_here(
    clerk: Pages, agent: Agent, hub: ServedHub
):
    made = ready_for_pickup(clerk, hub)
    page = f"/applications/{made['id']}"
    posted(clerk, f"{page}/pickup", {"collector": "applicant", "id_checked": "1"})
    sync_now(clerk)
    assert 'id="rate"' in clerk.text(page)
    status, _ = posted(clerk, f"{page}/rate", {"level": "very_satisfied", "comment": ""})
    assert status == 302 and outbox.count(agent.db) == 1
    shown = clerk.text(page)
    assert 'id="rate"' not in shown
    rated = re.search(r'data-testid="rated" data-state="pending">(.*?)</section>', shown, re.S)
    assert rated and "非常满意" in rated.group(1) and "王芳" in rated.group(1)
    status, again = posted(clerk, f"{page}/rate", {"level": "very_dissatisfied"})
    assert status == 422 and outbox.count(agent.db) == 1
    assert "群众评价已经记录过了" in again
    status, again = posted(clerk, f"{page}/rate", {"level": ""})  # said before the form's
    assert status == 422 and "群众评价已经记录过了" in again and "请选择群众的评价" not in again
    with pytest.raises(cap.CaptureError) as twice:
        cap.rate(agent.db, made["id"], staff=CLERK, level="satisfied", comment="", now_ms=1)
    assert twice.value.code == "rating.pending"
    sync_now(clerk)
    assert outbox.count(agent.db) == 0 and not local.open_attention(agent.db)
    assert 'data-testid="rated" data-state="sent"' in clerk.text(page)
    with pytest.raises(cap.CaptureError) as refused:
        cap.rate(agent.db, made["id"], staff=CLERK, level="satisfied", comment="", now_ms=1)
    assert refused.value.code == "rating.done"


def test_a_record_the_hub_refused_does_not_count_as_recorded(agent: Agent):
    with write(agent.db):
        local.add_recorded(
            agent.db, record_id="r1", application="a1", kind="rating.create", staff=CLERK, at=5
        )
    assert (local.recorded(agent.db, "a1", "rating.create") or {}).get("state") == "sent"
    assert local.recorded(agent.db, "a1", "pickup.confirm") is None
    with write(agent.db):
        local.add_attention(
            agent.db,
            application="a1",
            record_id="r1",
            kind="rejected",
            reasons=[{"message": "no"}],
            body=None,
            now=6,
        )
    assert local.recorded(agent.db, "a1", "rating.create") is None  # it may be recorded again


# --- 2. attention items dealt with -----------------------------------------------------------


def test_a_department_refusal_is_marked_as_dealt_with_and_kept_in_the_history(
    clerk: Pages, agent: Agent, hub: ServedHub
):
    made = capture(clerk)
    sync_now(clerk)
    act(hub, officer(hub), made["id"], "refuse", reason="already_handled", note="已在其他网点办理")
    sync_now(clerk)
    listing = clerk.text("/attention")
    assert made["receipt"] in listing and 'data-testid="dealt-with"' in listing
    # Without the CSRF token: refused, nothing changes.
    bare = clerk.client.post(
        "/attention/dealt-with", data={"application": made["id"], "kind": "dept_rejected"}
    )
    assert bare.status_code == 400
    assert made["receipt"] in clerk.text("/attention")
    response = clerk.post(
        "/attention/dealt-with",
        {"application": made["id"], "kind": "dept_rejected", "next": "/attention"},
        page="/attention",
    )
    assert response.status_code == 302 and response.location == "/attention"
    listing = clerk.text("/attention")
    assert made["receipt"] not in listing and "已标记为已处理" in listing
    assert "attention-count" not in bar(listing)
    history = clerk.text(f"/applications/{made['id']}")
    line = re.search(r"<strong>已处理：部门不予办理</strong>\s*<span[^>]*>([^<]*)<", history)
    assert line and line.group(1) == "王芳"
    # The other list of attention items (the keyset pages) leaves it out too.
    from sync.paging import PageRequest

    assert local.attention_page(agent.db, PageRequest()).total == 0
    # Twice: refused in words, nothing added.
    again = clerk.post(
        "/attention/dealt-with",
        {"application": made["id"], "kind": "dept_rejected", "next": "/attention"},
        page="/attention",
    )
    assert "已不需要处理" in clerk.text(again.location)
    assert [e["event"] for e in local.timeline(agent.db, made["id"])].count(
        "dealt with (dept_rejected)"
    ) == 1


def test_a_refused_record_is_dealt_with_from_its_application_page(clerk: Pages, agent: Agent):
    bad = capture(clerk)
    row = outbox.get(agent.db, bad["id"])
    assert row is not None
    forged = row["body"].replace(b'"outlet":"PO-WUHOU-01"', b'"outlet":"PO-OTHER"')
    with write(agent.db):
        agent.db.execute("UPDATE outbox SET body = ? WHERE record_id = ?", [forged, bad["id"]])
    sync_now(clerk)
    [item] = local.open_attention(agent.db)
    page = clerk.text(f"/applications/{bad['id']}")
    assert f'name="attention" value="{item["id"]}"' in page
    back = f"/applications/{bad['id']}"
    response = clerk.post(
        "/attention/dealt-with", {"attention": str(item["id"]), "next": back}, page=back
    )
    assert response.location == back
    assert local.open_attention(agent.db) == []
    assert "已处理：被中心退回" in clerk.text(back)


def test_a_supplement_asked_for_is_not_dismissed(clerk: Pages, agent: Agent):
    made = capture(clerk)
    with write(agent.db):
        local.add_attention(
            agent.db,
            application=made["id"],
            record_id="s1",
            kind="supplement",
            reasons=[{"message": "请补交照片", "materials": ["PHOTO"]}],
            body=None,
            now=1,
        )
    [item] = local.open_attention(agent.db)
    assert 'data-testid="dealt-with"' not in clerk.text("/attention")
    with pytest.raises(cap.CaptureError) as refused:
        cap.deal_with(agent.db, kind="", attention_id=item["id"], staff=CLERK, now_ms=2)
    assert refused.value.code == "attention.supplement"
    assert len(local.open_attention(agent.db)) == 1


def test_returned_mail_dealt_with_comes_back_when_it_is_returned_again(clerk: Pages, agent: Agent):
    from sync.paging import PageRequest

    row = {
        "id": "app-1",
        "receipt": "R-1",
        "item": "SS-CARD-APPLY",
        "item_name": "社会保障卡申领",
        "staff": CLERK,
        "region": "510107",
        "captured_at": 1,
        "applicant_masked": json.dumps({"name": "张*", "id_number": "1101", "phone": "138"}),
        "delivery": "mail",
        "materials": "[]",
        "promised": "[]",
        "sync_state": "sent",
        "hub_status": "returned",
        "hub_version": 4,
        "updated_at": 1,
    }
    with write(agent.db):
        local.add_application(agent.db, row)
    assert local.attention_page(agent.db, PageRequest()).total == 1
    assert "R-1" in clerk.text("/attention")
    cap.deal_with(agent.db, kind="returned", application="app-1", staff=CLERK, now_ms=2)
    assert local.attention_page(agent.db, PageRequest()).total == 0
    assert "R-1" not in clerk.text("/attention")
    assert local.is_dismissed(agent.db, application="app-1", kind="returned", hub_version=4)
    with write(agent.db):  # mailed again, and returned again: a new item
        local.update_application(agent.db, "app-1", hub_version=6)
    assert local.attention_page(agent.db, PageRequest()).total == 1
    assert "R-1" in clerk.text("/attention")
    # A page shown before it came back again (version 4) cannot dismiss what it never showed.
    stale = {"application": "app-1", "kind": "returned", "seen": "4", "next": "/attention"}
    response = clerk.post("/attention/dealt-with", stale, page="/attention")
    assert response.status_code == 302
    assert (
        "有了变化" in clerk.text("/attention")
        and local.attention_page(agent.db, PageRequest()).total == 1
    )
    fresh = {**stale, "seen": "6"}
    clerk.post("/attention/dealt-with", fresh, page="/attention")
    assert local.attention_page(agent.db, PageRequest()).total == 0


# --- 3. a revoked laptop ---------------------------------------------------------------------


def test_a_revoked_laptop_warns_on_the_new_application_pages_and_the_receipt(
    clerk: Pages, agent: Agent, hub: ServedHub
):
    assert 'data-testid="revoked"' not in clerk.text("/new")
    sent = capture(clerk)
    sync_now(clerk)
    revoke(hub, agent)
    page = sync_now(clerk)
    words = DETAILS.sub("", page)
    assert "中心已停用本机" in words and "device_revoked" not in words
    assert "device_revoked" in "".join(DETAILS.findall(page))  # for the operator, folded
    for path in ("/new", "/new/SS-CARD-APPLY"):
        assert 'data-testid="revoked"' in clerk.text(path), path
    # Capture still records: nothing a citizen hands over is lost...
    made = capture(clerk)
    assert agent.application(made["id"])["sync_state"] == "queued"
    receipt = clerk.text(f"/applications/{made['id']}/receipt")
    assert 'data-testid="not-sent"' in receipt and "重新登记本机" in receipt
    # ...and a receipt of what reached the hub before says nothing of it.
    assert 'data-testid="not-sent"' not in clerk.text(f"/applications/{sent['id']}/receipt")
    # Offline afterwards: still revoked.
    set_hub_url(agent, "http://127.0.0.1:9")
    sync_now(clerk)
    assert 'data-testid="revoked"' in clerk.text("/new")


def test_revoked_lasts_until_a_round_succeeds_and_counts_from_the_enrolment(agent: Agent):
    def round_(outcome: str, message: str, at: int) -> None:
        with write(agent.db):
            outbox.log_round(
                agent.db,
                started_at=at,
                finished_at=at,
                outcome=outcome,
                pushed=0,
                pulled=0,
                uploaded=0,
                message=message,
            )

    device = meta.get(agent.db, "device")
    enrolled = device["enrolled_at"]
    assert cap.revoked(agent.db) is None
    round_("HubRefused", "device revoked (device_revoked)", enrolled - 10)  # an older device
    assert cap.revoked(agent.db) is None
    round_("HubRefused", "bad signature (bad_signature)", enrolled + 1)
    assert cap.revoked(agent.db) is None
    round_("HubRefused", "device revoked (device_revoked)", enrolled + 2)
    assert cap.revoked(agent.db) is not None
    round_("HubUnavailable", "cannot reach the hub: ConnectionError", enrolled + 3)
    assert cap.revoked(agent.db) is not None
    round_("ok", "", enrolled + 4)  # enrolled again, and through
    assert cap.revoked(agent.db) is None


# --- 4. the new-application form ------------------------------------------------------------


def new(pages: Pages, **changes: Any) -> tuple[int, str]:
    response = pages.post(
        "/new/SS-CARD-APPLY", application_form(**changes), content_type="multipart/form-data"
    )
    return response.status_code, response.get_data(as_text=True)


def marked(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="err-([^"]+)">([^<]*)<', page))


def test_every_problem_is_marked_at_once_with_the_mail_address(clerk: Pages, agent: Agent):
    status, page = new(
        clerk,
        phone="12345",
        region="999999",
        delivery="mail",
        mail_to="武侯",
        recipient_phone="123",
        **{"m-PHOTO": ""},
    )
    assert status == 422
    errors = marked(page)
    assert errors["phone"] == "手机号码应为以1开头的11位数字"
    assert errors["mail_to"] == "请填写完整的邮寄地址"
    assert errors["recipient_phone"] == "手机号码应为以1开头的11位数字"
    assert errors["region"] == "没有这个代码的区县，请从列表中选择申请人所在区县"
    assert errors["material-PHOTO"].startswith("缺少必需材料：近期免冠白底证件照")
    assert local.list_applications(agent.db) == []


def test_the_rechoose_notice_only_when_files_were_chosen(clerk: Pages):
    # No file chosen (the browser still sends an empty part for each file input).
    status, page = new(clerk, phone="12345", **{"m-ID-CARD": "paper", "f-ID-CARD": (scan()[0], "")})
    assert status == 422 and 'data-testid="rechoose"' not in page
    assert "需要重新选择" not in page and "重新选择这些扫描件" not in page
    status, page = new(clerk, phone="12345")  # the ID card's scan was chosen
    assert status == 422
    notice = re.search(r'data-testid="rechoose">([^<]*)<', page)
    assert notice and "重新选择这些扫描件" in notice.group(1) and "居民身份证" in notice.group(1)


def test_the_promise_hint_only_on_materials_that_may_be_promised(agent: Agent):
    item = cap.catalogue_items(agent.db)["SS-CARD-APPLY"]
    words = {
        refusal.params["material"]: refusal for refusal in cap.material_refusals(item, set(), set())
    }
    id_card, photo = words["ID-CARD"], words["PHOTO"]  # only the photo may be promised
    assert id_card.code == "material.missing" and photo.code == "material.missing.promisable"
    from agent.messages import text

    assert text(id_card.code, "zh", **id_card.params) == "缺少必需材料：居民身份证"
    assert "容缺" in text(photo.code, "zh", **photo.params)


def test_a_missing_id_card_is_marked_without_the_promise_hint(clerk: Pages):
    status, page = new(clerk, **{"m-ID-CARD": "", "f-ID-CARD": None})
    assert status == 422
    assert marked(page)["material-ID-CARD"] == "缺少必需材料：居民身份证"


def test_the_county_is_chosen_from_a_list_grouped_by_province(clerk: Pages, agent: Agent):
    page = clerk.text("/new/SS-CARD-APPLY")
    select = re.search(r'<select id="f-region" name="region".*?</select>', page, re.S)
    assert select
    options = select.group(0)
    assert re.search(r'<option value="" selected>与本网点同一区县：武侯区（510107）', options)
    assert '<optgroup label="四川省">' in options and '<optgroup label="北京市">' in options
    assert re.search(r'<option value="510104">锦江区 · 成都市 510104', options)
    assert 'value="999999"' not in options and 'value="510100"' not in options
    assert 'data-filter-options="#f-region"' in page  # the search box over it
    made = capture(clerk, region="510104")
    assert agent.application(made["id"])["region"] == "510104"
    # An unknown code posted is refused, kept in view, and nothing is stored.
    status, page = new(clerk, region="510100")
    assert status == 422 and marked(page)["region"].startswith("没有这个代码的区县")
    assert '<option value="510100" selected>' in page
    assert len(local.list_applications(agent.db)) == 1


def test_capture_refuses_an_unknown_county_for_every_surface(agent: Agent):
    entered = cap.NewApplication(
        item="SS-CARD-APPLY",
        name="张三",
        id_number="11010519491231002X",
        phone="13812345678",
        staff=CLERK,
        region="999999",
        paper=["ID-CARD", "PHOTO"],
    )
    with pytest.raises(cap.CaptureError) as refused:
        cap.capture(agent.db, agent.home, entered, now_ms=1)
    assert (refused.value.code, refused.value.field) == ("region.unknown", "region")
    assert local.list_applications(agent.db) == []


# --- 5. Chinese words: the reasons, the staff's names -----------------------------------------


def test_offline_is_said_in_chinese_with_the_technical_reason_folded_away(
    clerk: Pages, agent: Agent
):
    capture(clerk)
    set_hub_url(agent, "http://127.0.0.1:9")
    page = sync_now(clerk)
    words = DETAILS.sub("", page)
    assert "连不上中心" in words
    assert "ConnectionError" not in words and "cannot reach" not in words
    [folded] = DETAILS.findall(page)
    assert "技术详情" in folded and "ConnectionError" in folded


def test_the_application_page_names_the_staff_member(clerk: Pages):
    made = capture(clerk)
    page = clerk.text(f"/applications/{made['id']}")
    recorded = re.search(r'data-testid="recorded-by">([^<]*)<', page)
    assert recorded and recorded.group(1).startswith("王芳 · ")
    assert CLERK not in recorded.group(1)


def test_two_ratings_at_once_cannot_both_pass_the_check(
    clerk: Pages, agent: Agent, hub: ServedHub, monkeypatch: pytest.MonkeyPatch
):
    """Two tabs (or a double click) check before either writes: the check is made again
    inside the write, so the second is refused and one rating is queued."""
    made = ready_for_pickup(clerk, hub)
    page = f"/applications/{made['id']}"
    posted(clerk, f"{page}/pickup", {"collector": "applicant", "id_checked": "1"})
    sync_now(clerk)
    cap.rate(
        agent.db, made["id"], staff=CLERK, level="very_satisfied", comment="", now_ms=hub.clock()
    )
    real, calls = cap.already_recorded, []

    def first_look_misses(*args: Any) -> Any:
        calls.append(args)
        return None if len(calls) == 1 else real(*args)  # the other tab's write came between

    monkeypatch.setattr(cap, "already_recorded", first_look_misses)
    with pytest.raises(cap.CaptureError) as second:
        cap.rate(
            agent.db,
            made["id"],
            staff=CLERK,
            level="very_dissatisfied",
            comment="",
            now_ms=hub.clock(),
        )
    assert second.value.code == "rating.pending" and len(calls) == 2
    assert outbox.count(agent.db) == 1


def test_a_dealt_with_post_of_an_odd_id_is_refused_not_a_crash(clerk: Pages):
    for odd in ("²", "9" * 5000, "99999999999999999999999"):
        response = clerk.post("/attention/dealt-with", {"attention": odd}, page="/attention")
        assert response.status_code == 302, odd
