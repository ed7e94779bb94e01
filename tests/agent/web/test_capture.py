"""A new application from the pages: the catalogue search, the happy path, refusals that keep
the input and store nothing, and the printable receipt."""

from __future__ import annotations

import re

from agent.store import local, outbox
from tests.agent.conftest import Agent
from tests.agent.web.conftest import ID_BAD_CHECK, ID_X, Pages, application_form, scan


def counts(agent: Agent) -> tuple[int, int, int]:
    return (
        len(local.list_applications(agent.db)),
        outbox.count(agent.db),
        len(local.scans_to_upload(agent.db)),
    )


def test_items_are_found_by_name_code_or_pinyin_initials(clerk: Pages):
    everything = clerk.text("/new")
    assert "社会保障卡申领" in everything and "SS-CARD-APPLY" in everything
    assert 'data-search="社会保障卡申领 ss-card-apply shbzksl"' in everything
    for query in ("shbzk", "社会保障卡", "ss-card-apply", "SHBZKSL"):
        found = clerk.text(f"/new?q={query}")
        assert "/new/SS-CARD-APPLY" in found, query
    assert "/new/SS-CARD-APPLY" not in clerk.text("/new?q=jtwf")  # another item's initials
    assert "居民身份证换领" not in everything  # only township outlets accept it


def test_the_form_shows_the_items_materials_checklist(clerk: Pages):
    page = clerk.text("/new/SS-CARD-APPLY")
    assert "居民身份证" in page and "近期免冠白底证件照" in page
    assert page.count('capture="environment"') == 3
    assert 'value="promise"' in page  # only PHOTO may be promised
    assert page.count('value="promise"') == 1
    for field in ("name", "id_number", "phone", "mail_to", "postcode"):
        assert f'<label for="f-{field}">' in page, field


def test_a_new_application_is_stored_with_its_outbox_entry(clerk: Pages, agent):
    response = clerk.post(
        "/new/SS-CARD-APPLY", application_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [app] = local.list_applications(agent.db)
    assert response.location == f"/applications/{app['id']}/receipt"
    assert (app["sync_state"], app["staff"], app["delivery"]) == ("queued", "clerk-01", "pickup")
    assert counts(agent) == (1, 1, 1)
    [entry] = outbox.pending(agent.db)
    assert (entry["record_id"], entry["kind"]) == (app["id"], "application.create")
    assert "张*" in app["applicant_masked"]
    # The uploaded scan was sealed into the home; no clear copy is left behind.
    assert not list(agent.home.root.glob("upload-*"))
    receipt = clerk.text(response.location)
    assert app["receipt"] in receipt and "已保存" in receipt


def test_mail_delivery_with_a_recipient(clerk: Pages, agent):
    form = application_form(
        delivery="mail",
        mail_to="四川省成都市武侯区人民南路四段1号",
        recipient="张小三",
        recipient_phone="13912345678",
        postcode="610041",
    )
    response = clerk.post("/new/SS-CARD-APPLY", form, content_type="multipart/form-data")
    assert response.status_code == 302
    [app] = local.list_applications(agent.db)
    assert app["delivery"] == "mail" and app["address_masked"].startswith("四川省成都市武侯区")
    assert "人民南路" not in clerk.text(response.location)  # masked on the receipt too


def test_an_invalid_form_keeps_the_input_marks_each_field_and_stores_nothing(clerk: Pages, agent):
    form = application_form(
        name="李四",
        id_number=ID_BAD_CHECK,
        phone="12345",
        **{"m-PHOTO": "", "m-ID-CARD": "scan", "f-ID-CARD": None},
        delivery=None,
        note="老人行动不便",
    )
    response = clerk.post("/new/SS-CARD-APPLY", form, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert counts(agent) == (0, 0, 0)
    assert "还没有保存任何内容" in page
    # The input is kept...
    assert 'value="李四"' in page and f'value="{ID_BAD_CHECK}"' in page and 'value="12345"' in page
    assert "老人行动不便" in page
    # ...and every invalid field is marked with its reason, in capture's words.
    reasons = {
        "id_number": "身份证号码校验位不对",
        "phone": "手机号码应为以1开头的11位数字",
        "delivery": "请选择网点领取或邮寄到地址",
        "material-ID-CARD": "请选择要上传的扫描件或照片",
        "material-PHOTO": "缺少必需材料：近期免冠白底证件照",
    }
    for field, words in reasons.items():
        assert re.search(rf'id="err-{field}">[^<]*{words}', page), field
    assert re.search(r'id="f-id_number" [^>]*aria-invalid="true"', page)
    assert not re.search(r'id="f-name" [^>]*aria-invalid', page)


def test_a_missing_required_material_is_marked_on_its_row(clerk: Pages, agent):
    form = application_form(**{"m-PHOTO": ""})
    response = clerk.post("/new/SS-CARD-APPLY", form, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="err-material-PHOTO">缺少必需材料：近期免冠白底证件照', page)
    assert counts(agent) == (0, 0, 0)


def test_capture_refusals_after_the_form_checks_are_marked_too(clerk: Pages, agent):
    # Mail to a too-short address: only capture knows the rule.
    form = application_form(delivery="mail", mail_to="武侯")
    response = clerk.post("/new/SS-CARD-APPLY", form, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="err-mail_to">请填写完整的邮寄地址', page)
    assert 'value="武侯"' in page
    assert counts(agent) == (0, 0, 0)
    assert not list(agent.home.root.glob("upload-*"))
    # The same refusal in English.
    clerk.post("/lang", {"lang": "en", "next": "/"})
    page = clerk.post(
        "/new/SS-CARD-APPLY",
        application_form(delivery="mail", mail_to="武侯"),
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "a full mail address is required" in page


def test_an_item_not_in_the_catalogue_is_a_404(clerk: Pages):
    assert clerk.get("/new/NO-SUCH-ITEM").status_code == 404


def test_the_receipt_has_the_number_item_promise_and_a_qr_code(clerk: Pages, agent):
    response = clerk.post(
        "/new/SS-CARD-APPLY", application_form(), content_type="multipart/form-data"
    )
    [app] = local.list_applications(agent.db)
    page = clerk.text(response.location)
    assert f'data-testid="receipt">{app["receipt"]}<' in page
    assert "社会保障卡申领" in page and "5 个工作日" in page
    assert re.search(r'data-testid="promised">近期免冠白底证件照', page)
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.DOTALL)
    assert svg and "<path" in svg.group(0) and app["receipt"] in svg.group(0)  # its title
    assert "<script" not in svg.group(0)
    assert "cdn" not in page.lower() and "https://" not in page  # every asset is local
    # The same receipt by receipt number.
    assert app["receipt"] in clerk.text(f"/applications/{app['receipt']}/receipt")


def test_a_scan_is_needed_when_scan_is_ticked_and_files_make_it_a_scan(clerk: Pages, agent):
    form = application_form(**{"m-ID-CARD": "paper", "f-ID-CARD": scan()})
    response = clerk.post("/new/SS-CARD-APPLY", form, content_type="multipart/form-data")
    assert response.status_code == 302
    assert counts(agent) == (1, 1, 0)  # seen on paper: the file chosen by mistake is dropped
    assert ID_X not in response.get_data(as_text=True)
