"""The printed receipt (issue 16): the 容缺 promise with its deadline and the applicant's
signature, the fee, how to follow the application (the outlet's phone, set with
``daiban-agent outlet-phone``, and the 12345 hotline), the outlet's copy behind a cut line, the
mail address the citizen can check, and the receipt printer's 80 mm / 58 mm slip."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from agent.cli import cli
from agent.store import local, write
from tests.agent.conftest import Agent
from tests.agent.web.conftest import Pages, application_form

CHINA = timezone(timedelta(hours=8))
ADDRESS = "四川省成都市武侯区人民南路四段1号"
PHOTO = "近期免冠白底证件照（可现场采集）"


def china_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=CHINA).timestamp() * 1000)


def captured(clerk: Pages, agent: Agent, item: str = "SS-CARD-APPLY", **changes) -> dict:
    form = application_form(**changes)
    response = clerk.post(f"/new/{item}", form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    made = response.location.split("/")[2]
    [app] = [a for a in local.list_applications(agent.db) if a["id"] == made]
    return app


def recorded_on(agent: Agent, app: dict, when: str) -> None:
    """Move the application's capture time (China time) to a day the test knows."""
    with write(agent.db):
        agent.db.execute(
            "UPDATE applications SET captured_at = ? WHERE id = ?", [china_ms(when), app["id"]]
        )


def part(page: str, testid: str) -> str:
    """The HTML of the element with ``data-testid=testid`` (an article or a section)."""
    found = re.search(
        rf'<(article|section|p)\b[^>]*data-testid="{testid}".*?</\1>', page, re.DOTALL
    )
    assert found, testid
    return found.group(0)


def receipt(clerk: Pages, app: dict, query: str = "") -> str:
    return clerk.text(f"/applications/{app['id']}/receipt{query}")


# --- the 容缺 promise ---------------------------------------------------------------------


def test_the_promise_names_each_material_with_its_deadline_and_a_signature_line(clerk, agent):
    app = captured(clerk, agent)
    # Friday 2026-02-13 (docs/workflow.md's example): Saturday 02-14 is a swapped working day,
    # then the Spring Festival; the 5th working day after is 2026-02-27.
    recorded_on(agent, app, "2026-02-13T16:30:00")
    promise = part(receipt(clerk, app), "promise")
    assert "容缺受理承诺" in promise
    assert f"{PHOTO}：须于 2026-02-27（含当日）前补交" in promise
    assert (
        "申请人承诺于 2026-02-27（含当日）前到本网点补交上述材料；"
        "逾期未补交的，办理部门可作出不予办理决定。"
    ) in promise
    sign = part(promise, "sign-promise")
    assert "申请人签名：" in sign and "日期：" in sign and sign.count('class="blank"') == 2


def test_the_promise_deadline_counts_working_days_from_the_day_of_recording(clerk, agent):
    app = captured(clerk, agent)
    recorded_on(agent, app, "2026-09-28T09:00:00")  # Monday before National Day (10-01..10-07)
    # 09-29, 09-30, then 10-08, 10-09 and 10-10 (a swapped Saturday): due 2026-10-10.
    assert "须于 2026-10-10（含当日）前补交" in receipt(clerk, app)


def test_a_deadline_in_a_year_without_a_calendar_is_not_guessed(clerk, agent):
    app = captured(clerk, agent)
    recorded_on(agent, app, "2026-12-28T09:00:00")  # 5 working days reach into 2027
    promise = part(receipt(clerk, app), "promise")
    assert f"{PHOTO}：须在 5 个工作日内补交" in promise
    assert "自上述录入之日起 5 个工作日内到本网点补交上述材料" in promise
    assert "2027-" not in promise


def test_no_promise_no_promise_section(clerk, agent):
    app = captured(clerk, agent, **{"m-PHOTO": "paper"})
    page = receipt(clerk, app)
    assert 'data-testid="promise"' not in page and "容缺受理承诺" not in page
    assert "签字确认" in page  # the outlet's copy is signed all the same


# --- fee, outlet copy, mail address ---------------------------------------------------------


def test_the_fee_is_printed_free_or_in_yuan(clerk, agent):
    free = captured(clerk, agent)
    assert re.search(r'data-testid="fee">免费<', receipt(clerk, free))
    paid = captured(
        clerk,
        agent,
        item="TP-DL-RENEW",
        **{
            "m-ID-CARD": "paper",
            "f-ID-CARD": None,
            "m-DRIVING-LICENCE": "paper",
            "m-HEALTH-CERT": "paper",
            "m-PHOTO": "promise",
        },
    )
    page = receipt(clerk, paid)
    assert re.search(r'data-testid="fee">10\.00 元<', page)
    assert "收费" in part(page, "copy-outlet") and "10.00 元" in part(page, "copy-outlet")
    clerk.post("/lang", {"lang": "en", "next": "/"})
    assert re.search(r'data-testid="fee">No fee<', receipt(clerk, free))
    assert re.search(r'data-testid="fee">10\.00 yuan<', receipt(clerk, paid))


def test_the_outlet_copy_follows_a_cut_line_and_is_signed_by_the_applicant(clerk, agent):
    app = captured(clerk, agent)
    page = receipt(clerk, app)
    citizen, outlet = part(page, "copy-citizen"), part(page, "copy-outlet")
    assert page.index(citizen) < page.index('data-testid="cut-line"') < page.index(outlet)
    assert "申请人联" in citizen and "网点留存联" in outlet
    assert "沿此线剪开：上联交申请人，下联网点留存" in part(page, "cut-line")
    # The citizen's copy carries the QR code; the outlet's copy does not need it.
    assert "<svg" in citizen and "<svg" not in outlet
    # What the outlet keeps: the number, the item, who recorded it, the promise...
    assert app["receipt"] in outlet and "社会保障卡申领 <code>SS-CARD-APPLY</code>" in outlet
    assert "王芳 <code>clerk-01</code>" in outlet and "张*" in outlet and "138****5678" in outlet
    assert PHOTO in outlet and "须于" in outlet
    assert "申请人确认以上信息和材料无误。" in outlet
    assert "申请人承诺按申请人联所载期限补交容缺材料。" in outlet
    sign = part(outlet, "sign-outlet")
    assert "申请人签字确认：" in sign and "日期：" in sign and sign.count('class="blank"') == 2


def test_a_mailed_result_shows_the_kept_address_and_asks_the_citizen_to_confirm_it(clerk, agent):
    app = captured(
        clerk, agent, delivery="mail", mail_to=ADDRESS, recipient="张小三", postcode="610041"
    )
    page = receipt(clerk, app)
    # Only the masked address is kept on the laptop: the full one is sealed for the hub.
    assert "人民南路" not in page and "张小三" not in page and "610041" not in page
    citizen, outlet = part(page, "copy-citizen"), part(page, "copy-outlet")
    assert "邮寄到 四川省成都市武侯区****" in citizen and "邮寄到 四川省成都市武侯区****" in outlet
    assert "保存前经办人已向您当面读核。如有错误，请当场告知经办人。" in citizen
    assert "完整邮寄地址已经当面读核无误" in outlet


# --- following the application: the outlet's phone and 12345 --------------------------------


def set_phone(agent: Agent, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--home", str(agent.home.root), "outlet-phone", *args], env={"DAIBAN_LANG": None}
    )
    return result.exit_code, result.output


def test_the_receipt_says_how_to_follow_the_application(clerk, agent):
    app = captured(clerk, agent)
    follow = part(receipt(clerk, app), "follow")
    assert f"凭回执号 {app['receipt']} 到本网点查询。" in follow
    assert "政务服务便民热线 12345" in follow
    assert 'data-testid="outlet-phone"' not in follow  # none set: none printed
    assert set_phone(agent, "(028) 8555 1234")[0] == 0
    follow = part(receipt(clerk, app), "follow")
    assert f"凭回执号 {app['receipt']} 致电本网点 028-85551234，或到本网点窗口查询。" in follow
    assert re.search(r'data-testid="outlet-phone">028-85551234<', follow)
    assert "政务服务便民热线 12345" in follow
    # A bad number is refused and the one set stays on the receipts.
    code, output = set_phone(agent, "8555-1234")
    assert code == 1 and output.count("\n") == 1 and output.startswith("错误: ")
    assert "028-85551234" in receipt(clerk, app)
    assert set_phone(agent, "--clear")[0] == 0
    assert 'data-testid="outlet-phone"' not in receipt(clerk, app)
    # Chinese sentences follow each other without a space, English ones with one.
    assert "查询。对办理服务有疑问或投诉" in part(receipt(clerk, app), "follow")
    clerk.post("/lang", {"lang": "en", "next": "/"})
    follow = part(receipt(clerk, app), "follow")
    assert f"Quote the receipt number {app['receipt']}: ask at this outlet. For questions" in follow
    assert "government service hotline 12345." in follow


# --- the receipt printer's slip ------------------------------------------------------------


PAGE_RULE = re.compile(r"@page\s*\{\s*size:\s*(\d+)mm\s+297mm;\s*margin:\s*0;\s*\}")


def page_size(page: str) -> str:
    """The roll width (mm) of the page's ``@page`` rule."""
    found = PAGE_RULE.search(page)
    assert found, "no @page rule"
    return found.group(1)


def test_the_sheet_links_to_the_slip_and_sets_no_page_size(clerk, agent):
    app = captured(clerk, agent)
    page = receipt(clerk, app)
    assert not PAGE_RULE.search(page) and 'data-layout="sheet"' in page
    link = re.search(
        r'<a class="button" href="([^"]+)" data-testid="slip-layout">小票打印</a>', page
    )
    assert link and link.group(1) == "?layout=slip"  # this receipt, laid out for the roll


def test_the_slip_is_80_mm_wide_or_58_mm_with_no_page_margin(clerk, agent):
    app = captured(clerk, agent)
    slip = receipt(clerk, app, "?layout=slip")
    assert page_size(slip) == "80"
    assert re.search(r'class="receipt-print slip paper-80" data-layout="slip"', slip)
    assert 'data-testid="print">打印小票<' in slip
    # Both copies and the cut line are on the slip too.
    for testid in ("copy-citizen", "cut-line", "copy-outlet", "promise", "follow"):
        assert f'data-testid="{testid}"' in slip, testid
    assert 'aria-current="page" data-testid="paper-80"' in slip
    sheet = f'href="/applications/{app["id"]}/receipt" data-testid="sheet-layout">A4 纸打印<'
    assert sheet in slip
    narrow = receipt(clerk, app, "?layout=slip&paper=58")
    assert page_size(narrow) == "58"
    assert 'class="receipt-print slip paper-58"' in narrow
    assert 'aria-current="page" data-testid="paper-58"' in narrow
    # Another width is not offered: the 80 mm roll.
    other = receipt(clerk, app, "?layout=slip&paper=110")
    assert page_size(other) == "80"
