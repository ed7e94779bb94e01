"""Officers see the scans of the cases they hold (issue 16).

A real hub served on loopback and a real agent that captures, seals (to the hub's key, bound
to the application) and uploads its scans in chunks: the officer of the unit holding the case
gets back the very page the outlet photographed, unsealed at the hub on demand, and every
view is in the audit log; anyone who does not hold the case, a role that may not read personal
data, a scan the upload has not brought yet, or a scan sealed for another application gets a
refusal that opens and audits nothing.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
import requests

from agent import capture as cap
from agent.store import local
from agent.syncer import sync_once
from hub import casework
from sync import records as r
from tests import factories
from tests.agent.conftest import Agent
from tests.hub.test_e2e_sync import CAT, enrolled
from tests.support.served import ServedHub

UNIT = "HRSS-510107"  # where SS-CARD-ACT of PO-WUHOU-01 (510107) goes
OTHER_UNIT = "HRSS-510121"
REASON = "核对身份证与申请人一致"
JPEG = b"\xff\xd8\xff\xe0" + bytes(random.Random(1).randbytes(6000)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(random.Random(2).randbytes(2500))


def bearer(hub: ServedHub, name: str, role: str, unit: str | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hub.user(name, role, unit)}"
    return session


def sync(agent: Agent) -> Any:
    return sync_once(agent.db, agent.home, agent.client(), now_ms=agent.hub.clock)


def capture(agent: Agent, tmp: Path, pages: dict[str, bytes]) -> dict[str, str]:
    """An SS-CARD-ACT application: the ID card photographed (front .jpg, back .png), the social
    security card checked on paper."""
    files = []
    for name, data in pages.items():
        path = tmp / f"{random.random()}-{name}"
        path.write_bytes(data)
        files.append(path)
    new = cap.NewApplication(
        item="SS-CARD-ACT",
        name="张三",
        id_number="11010519491231002X",
        phone="13812345678",
        staff="clerk-1",
        paper=["SS-CARD"],
        scans={"ID-CARD": files},
    )
    return cap.capture(agent.db, agent.home, new, now_ms=agent.hub.clock())


def scan_url(hub: ServedHub, app_id: str, material: str = "ID-CARD", n: int | str = 1) -> str:
    return f"{hub.url}/api/v1/applications/{app_id}/materials/{material}/{n}"


def view(session: requests.Session, url: str, reason: str | None = REASON) -> requests.Response:
    return session.get(url, params={} if reason is None else {"reason": reason}, timeout=10)


def audit(hub: ServedHub, action: str = "view_scan") -> list[dict[str, Any]]:
    db = hub.db()
    try:
        return list(db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", [action]))
    finally:
        db.close()


def refusal(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert (body["ok"], body["code"], body["status"]) == (False, code, status), body
    return body


@pytest.fixture
def agent(hub: ServedHub, tmp_path: Path) -> Agent:
    return Agent(tmp_path / "agent", hub, "PO-WUHOU-01")


@pytest.fixture
def synced(hub: ServedHub, agent: Agent, tmp_path: Path) -> dict[str, str]:
    """An application captured and synced, both ID card pages uploaded."""
    made = capture(agent, tmp_path, {"front.jpg": JPEG, "back.png": PNG})
    result = sync(agent)
    assert (result.pushed, result.uploaded) == (1, 2)
    return made


# --- the officer who holds the case ------------------------------------------------------------


def test_the_holding_officer_gets_the_page_photographed_and_each_view_is_audited(
    hub, synced, tmp_path
):
    officer = bearer(hub, "wang", "officer", UNIT)
    front = view(officer, scan_url(hub, synced["id"], n=1))
    assert front.status_code == 200, front.text[:300]
    assert front.content == JPEG  # unsealed at the hub: the very bytes the outlet photographed
    assert front.headers["Content-Type"] == "image/jpeg"
    assert front.headers["Cache-Control"] == "no-store"
    assert front.headers["X-Content-Type-Options"] == "nosniff"
    assert front.headers["Content-Disposition"] == (
        f'inline; filename="{synced["receipt"]}-ID-CARD-1.jpg"'
    )
    assert "sandbox" in front.headers["Content-Security-Policy"]
    back = view(officer, scan_url(hub, synced["id"], n=2), reason="  再看背面  ")
    assert (back.status_code, back.content, back.headers["Content-Type"]) == (200, PNG, "image/png")
    # The blob at the hub is the sealed one, not the page.
    app = officer.get(f"{hub.url}/api/v1/applications/{synced['id']}", timeout=10).json()
    front_sha = app["application"]["materials"][0]["files"][0]["sha256"]
    held = hub.data / "blobs" / front_sha[:2] / front_sha[2:4] / front_sha
    assert held.read_bytes() != JPEG and JPEG not in held.read_bytes()

    rows = audit(hub)
    assert [(x["user"], x["application"], x["at"]) for x in rows] == [
        ("wang", synced["id"], hub.clock())
    ] * 2
    back_sha = app["application"]["materials"][0]["files"][1]["sha256"]
    assert rows[0]["detail"] == f"ID-CARD #1 {front_sha}: {REASON}"
    assert rows[1]["detail"] == f"ID-CARD #2 {back_sha}: 再看背面"  # the reason trimmed
    view(officer, scan_url(hub, synced["id"], n=1))
    assert len(audit(hub)) == 3  # every view, not every scan once


def test_the_application_lists_each_materials_scans_and_what_was_checked_on_paper(hub, synced):
    officer = bearer(hub, "wang", "officer", UNIT)
    app = officer.get(f"{hub.url}/api/v1/applications/{synced['id']}", timeout=10).json()
    materials = {m["code"]: m for m in app["application"]["materials"]}
    card, paper = materials["ID-CARD"], materials["SS-CARD"]
    assert (card["count"], card["paper"]) == (2, False)
    assert [(f["n"], f["at_hub"]) for f in card["files"]] == [(1, True), (2, True)]
    assert [f["sha256"] for f in card["files"]] == card["scans"]
    assert (paper["count"], paper["paper"], paper["files"], paper["scans"]) == (0, True, [], [])
    listed = officer.get(f"{hub.url}/api/v1/applications", timeout=10).json()
    assert listed["applications"][0]["materials"] == app["application"]["materials"]
    assert audit(hub) == []  # listing scans opens none


def test_operators_and_admins_see_scans_as_they_may_read_personal_data(hub, synced):
    for name, role in (("ops", "operator"), ("root", "admin")):
        answer = view(bearer(hub, name, role), scan_url(hub, synced["id"]))
        assert (answer.status_code, answer.content) == (200, JPEG), role
    assert [x["user"] for x in audit(hub)] == ["ops", "root"]


def test_a_role_that_may_not_read_personal_data_may_not_see_scans(hub, synced, monkeypatch):
    """The rule is reveal's (casework.may_reveal): take operators out of it and they are
    refused scans too, with nothing read or audited."""
    monkeypatch.setattr(casework, "REVEAL_ROLES", frozenset({"admin", "officer"}))
    assert not casework.may_view_scans({"role": "operator", "unit": None}, {"unit": UNIT})
    refusal(view(bearer(hub, "ops", "operator"), scan_url(hub, synced["id"])), 403, "forbidden")
    assert view(bearer(hub, "root", "admin"), scan_url(hub, synced["id"])).status_code == 200
    assert [x["user"] for x in audit(hub)] == ["root"]


# --- who does not hold the case ----------------------------------------------------------------


def test_another_units_officer_gets_404_as_if_there_were_no_such_application(hub, synced):
    other = bearer(hub, "li", "officer", OTHER_UNIT)
    body = refusal(view(other, scan_url(hub, synced["id"])), 404, "not_found")
    unknown = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    assert body == refusal(view(other, scan_url(hub, unknown)), 404, "not_found")
    refusal(view(other, scan_url(hub, synced["id"], material="NOPE", n=9)), 404, "not_found")
    assert audit(hub) == []
    # Not even its existence: the same as the application itself answers.
    refusal(
        other.get(f"{hub.url}/api/v1/applications/{synced['id']}", timeout=10), 404, "not_found"
    )


def test_the_domain_refuses_whoever_does_not_hold_the_case(hub, synced):
    """casework.scan_for itself decides, whatever surface calls it (the pages will)."""
    from hub.keys import load_keys

    db = hub.db()
    try:
        [row] = db.query("SELECT * FROM applications WHERE id = ?", [synced["id"]])
        keys = load_keys(hub.data / "keys")
        blobs = hub.app.config["BLOBS"]
        other = {"name": "li", "role": "officer", "unit": OTHER_UNIT}
        mine = {"name": "wang", "role": "officer", "unit": UNIT}
        kw = {"material": "ID-CARD", "n": 1, "reason": REASON, "now": hub.clock()}
        for app_row in (row, None):
            with pytest.raises(casework.HubError) as refused:
                casework.scan_for(db, keys, blobs, app_row, other, **kw)
            assert (refused.value.code, refused.value.status) == ("not_found", 404)
        scan = casework.scan_for(db, keys, blobs, row, mine, **kw)
        assert (scan.data, scan.media_type, scan.inline, scan.n) == (JPEG, "image/jpeg", True, 1)
        assert scan.filename == f"{synced['receipt']}-ID-CARD-1.jpg"
        assert [x["user"] for x in audit(hub)] == ["wang"]
    finally:
        db.close()


# --- what is asked for -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   ", "长" * 501])
def test_a_view_without_a_reason_is_400_and_opens_nothing(hub, synced, reason):
    officer = bearer(hub, "wang", "officer", UNIT)
    body = refusal(view(officer, scan_url(hub, synced["id"]), reason=reason), 400, "invalid")
    assert body["field"] == "reason"
    assert audit(hub) == []


@pytest.mark.parametrize(
    ("material", "n"),
    [
        ("ID-CARD", 0),
        ("ID-CARD", 3),
        ("ID-CARD", "²"),
        ("ID-CARD", "-1"),
        ("ID-CARD", "1.0"),
        ("ID-CARD", "9" * 30),
        ("SS-CARD", 1),
        ("PHOTO", 1),
    ],
)
def test_a_material_or_number_the_application_does_not_have_is_scan_not_found(
    hub, synced, material, n
):
    officer = bearer(hub, "wang", "officer", UNIT)
    refusal(view(officer, scan_url(hub, synced["id"], material, n)), 404, "scan.not_found")
    assert audit(hub) == []


def test_a_scan_whose_upload_is_not_complete_is_409_until_it_arrives(
    hub, agent, tmp_path, monkeypatch
):
    import agent.syncer as syncer

    def first_chunk_only(db, home, client, result, *, progress):
        for scan in local.scans_to_upload(db):
            data = home.scan_path(scan["sha256"]).read_bytes()
            client.upload_chunk(scan["sha256"], 0, scan["size"], data[:1000])

    made = capture(agent, tmp_path, {"front.jpg": JPEG})
    with monkeypatch.context() as cut:
        cut.setattr(syncer, "upload_scans", first_chunk_only)
        assert sync(agent).pushed == 1
    officer = bearer(hub, "wang", "officer", UNIT)
    body = refusal(view(officer, scan_url(hub, made["id"])), 409, "scan.not_uploaded")
    assert body["received"] == 1000
    assert "under way" in body["error"]
    app = officer.get(f"{hub.url}/api/v1/applications/{made['id']}", timeout=10).json()
    card = next(m for m in app["application"]["materials"] if m["code"] == "ID-CARD")
    assert [f["at_hub"] for f in card["files"]] == [False]
    assert app["application"]["missing_scans"] == 1
    assert audit(hub) == []

    assert sync(agent).uploaded == 1  # the upload resumes and completes
    answer = view(officer, scan_url(hub, made["id"]))
    assert (answer.status_code, answer.content) == (200, JPEG)
    app = officer.get(f"{hub.url}/api/v1/applications/{made['id']}", timeout=10).json()
    card = next(m for m in app["application"]["materials"] if m["code"] == "ID-CARD")
    assert [f["at_hub"] for f in card["files"]] == [True]
    assert len(audit(hub)) == 1


def test_a_scan_of_another_application_named_in_a_record_does_not_open(hub, synced):
    """A device names, in an application of its own, the SHA-256 of another application's
    scan (the digests are in every answer): the hub holds those bytes, but they were sealed for
    the other application, so they open for neither its officer nor anyone else through it."""
    officer = bearer(hub, "wang", "officer", UNIT)
    theirs = officer.get(f"{hub.url}/api/v1/applications/{synced['id']}", timeout=10).json()
    stolen = theirs["application"]["materials"][0]["files"][0]["sha256"]
    device = enrolled(hub, "PO-WUHOU-01")
    assert device.sealing_key is not None
    base = factories.catalogue_application(
        random.Random(7),
        device.sealing_key,
        CAT.item("SS-CARD-ACT"),
        tag=device.tag,
        seq=1,
        outlet="PO-WUHOU-01",
        ms=hub.clock(),
        scans=False,
    )
    record = msgspec.structs.replace(
        base,
        materials=(
            r.MaterialProvided(
                code="ID-CARD",
                scans=(r.Scan(sha256=stolen, size=len(JPEG) + 48, media_type="image/jpeg"),),
            ),
            r.MaterialProvided(code="SS-CARD"),
        ),
    )
    assert [x.status for x in device.push([record]).results] == ["accepted"]
    ours = officer.get(f"{hub.url}/api/v1/applications/{record.id}", timeout=10).json()
    assert ours["application"]["materials"][0]["files"] == [
        {"n": 1, "sha256": stolen, "at_hub": True}
    ]
    refusal(view(officer, scan_url(hub, record.id)), 422, "scan.unseal_failed")
    refusal(view(bearer(hub, "root", "admin"), scan_url(hub, record.id)), 422, "scan.unseal_failed")
    assert audit(hub) == []
    assert view(officer, scan_url(hub, synced["id"])).content == JPEG  # where it belongs


def test_a_scan_of_a_type_no_browser_should_show_inline_is_sent_to_save(hub, agent, tmp_path):
    """The outlet's record says the media type; one a browser could run (HTML, SVG) or any
    other not on the hub's list is answered as bytes to save, never inline."""
    import hashlib

    from sync.sealing import seal_bytes

    device = enrolled(hub, "PO-WUHOU-01")
    assert device.sealing_key is not None
    base = factories.catalogue_application(
        random.Random(8),
        device.sealing_key,
        CAT.item("SS-CARD-ACT"),
        tag=device.tag,
        seq=1,
        outlet="PO-WUHOU-01",
        ms=hub.clock(),
        scans=False,
    )
    page = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    sealed = seal_bytes(page, device.sealing_key, record_id=base.id, purpose="scan")
    sha = hashlib.sha256(sealed).hexdigest()
    record = msgspec.structs.replace(
        base,
        materials=(
            r.MaterialProvided(
                code="ID-CARD",
                scans=(r.Scan(sha256=sha, size=len(sealed), media_type="image/svg+xml"),),
            ),
            r.MaterialProvided(code="SS-CARD"),
        ),
    )
    assert [x.status for x in device.push([record]).results] == ["accepted"]
    uploaded = device.session.patch(
        f"{hub.url}/api/v1/blobs/{sha}",
        params={"offset": 0, "total": len(sealed)},
        data=sealed,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert uploaded.status_code == 200 and uploaded.json()["complete"], uploaded.text
    answer = view(bearer(hub, "wang", "officer", UNIT), scan_url(hub, record.id))
    assert (answer.status_code, answer.content) == (200, page)
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert answer.headers["Content-Disposition"].endswith('-ID-CARD-1.bin"')
    assert len(audit(hub)) == 1
