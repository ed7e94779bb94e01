"""``daiban-agent``: the command line scripts rely on, driven with CliRunner against a real hub.

Exit codes are part of the interface (agent/cli.py): 0 done, 1 refused (nothing stored),
2 usage, 3 hub unreachable (work kept), 4 the hub refused, 5 another sync round is running.
A refusal is one clean line on stderr (``错误: ...`` by default, ``Error: ...`` with
``--lang en``), never a traceback.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

import agent.cli as agent_cli
import agent.rounds as agent_rounds
from agent.cli import cli
from agent.client import HubClient
from agent.home import Home
from agent.store import meta, write
from tests.support.served import Clock, ServedHub

ROOT = Path(__file__).parent.parent.parent
AGENT_MD = ROOT / "docs" / "agent.md"

WUHOU, JINTANG = "PO-WUHOU-01", "TS-JINTANG-01"  # a postal outlet, a township outlet
ID_X = "11010519491231002X"
ID_BAD_CHECK = "110105194912310021"  # ID_X with a mistyped check character
PHONE = "13812345678"
ADDRESS = "四川省成都市武侯区人民南路四段1号"
DOWN = "http://127.0.0.1:9"  # nothing listens there
# Environment that would change what the commands do: the tests pass everything explicitly.
CLEAN_ENV = {"DAIBAN_LANG": None, "DAIBAN_AGENT_HOME": None}


# --- helpers ------------------------------------------------------------------------------


def run(home: Path, *args: str, lang: str | None = None) -> Result:
    base = ["--home", str(home)] + (["--lang", lang] if lang else [])
    return CliRunner().invoke(cli, [*base, *args], env=CLEAN_ENV)


def ok(home: Path, *args: str, lang: str | None = None) -> Result:
    result = run(home, *args, lang=lang)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def refused(home: Path, *args: str, exit_code: int = 1, lang: str | None = None) -> str:
    """Run a command that must fail cleanly with ``exit_code``; its message (stderr)."""
    result = run(home, *args, lang=lang)
    assert result.exit_code == exit_code, (result.output, result.exception)
    # An uncaught exception also exits 1 under CliRunner: insist on a deliberate exit.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    if exit_code != 2:  # usage errors print click's usage lines first
        assert "\n" not in message and result.stdout == "", message
    if exit_code in (1, 2):  # refusals of input (sync's own failures are told plainly)
        prefix = "Error: " if lang == "en" or exit_code == 2 else "错误: "
        assert prefix in message, message
    return message


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def enroll(home: Path, hub: ServedHub, outlet: str = WUHOU) -> dict[str, Any]:
    return as_json(ok(home, "enroll", hub.url, hub.enrolment_code(outlet), "--json"))


def scan(tmp_path: Path, name: str = "id-card.jpg", data: bytes = b"\xff\xd8 a scan") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def new_args(id_card: Path, *extra: str, item: str = "SS-CARD-APPLY") -> list[str]:
    """A complete SS-CARD-APPLY: ID card scanned, photo promised (容缺), pickup."""
    return [
        "new",
        "--item",
        item,
        "--name",
        "张三",
        "--id-number",
        ID_X,
        "--phone",
        PHONE,
        "--material",
        f"ID-CARD={id_card}",
        "--promise",
        "PHOTO",
        "--runner",
        "runner-7",
        *extra,
        "--json",
    ]


def capture(home: Path, id_card: Path, *extra: str) -> dict[str, str]:
    args = new_args(id_card, *extra)
    if "--mail-to" not in extra:
        args.insert(-1, "--pickup")
    return as_json(ok(home, *args))


def listed(home: Path) -> list[dict[str, Any]]:
    return as_json(ok(home, "list", "--json"))


def status(home: Path) -> dict[str, Any]:
    return as_json(ok(home, "status", "--json"))


def scans_on_disk(home: Path) -> set[str]:
    return {p.name for p in (home / "scans").rglob("*") if p.is_file()}


def set_hub_url(home: Path, url: str) -> None:
    """Point an enrolled device at another address (the hub 'goes down' for it)."""
    db = Home(home).open()
    try:
        with write(db):
            device = meta.get(db, "device")
            meta.put(db, "device", {**device, "hub_url": url})
    finally:
        db.close()


def officer(hub: ServedHub) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hub.user('o1', 'officer', 'HRSS-510107')}"
    return session


def act(hub: ServedHub, api: requests.Session, app_id: str, action: str, **body: Any) -> str:
    response = api.post(
        f"{hub.url}/api/v1/applications/{app_id}/actions",
        json={"action": action, **body},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["application"]["status"])


class LiveClock(Clock):
    """The real time, as the agent's own clock: timelines from both sides interleave truly."""

    def __call__(self) -> int:
        return int(time.time() * 1000) + self.ms


@pytest.fixture
def clock() -> Clock:
    return LiveClock(0)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's client as the CLI builds it, with millisecond back-off between retries."""
    monkeypatch.setattr(agent_rounds, "HubClient", functools.partial(HubClient, backoff=0.001))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "agent"


@pytest.fixture
def id_card(tmp_path: Path) -> Path:
    return scan(tmp_path)


# --- enrolment ----------------------------------------------------------------------------


def test_enroll_with_a_code_from_the_hub_operator(hub, home):
    body = enroll(home, hub)
    assert body["ok"] is True and body["outlet"] == WUHOU
    assert body["device_id"].startswith("dev-")
    key = home / "keys" / "device.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    report = status(home)
    assert report["enrolled"] is True and report["device_id"] == body["device_id"]
    assert report["outlet"]["code"] == WUHOU and report["hub_url"] == hub.url
    assert (report["unsent"], report["last_sync_at"], report["attention"]) == (0, None, [])
    assert report["catalogue_version"] == 1
    # The words for people: Chinese by default.
    home2 = home.parent / "agent2"
    words = ok(home2, "enroll", hub.url, hub.enrolment_code(WUHOU)).stdout
    assert words.startswith("已注册") and WUHOU in words


def test_a_wrong_code_is_refused_by_the_hub_in_chinese_or_english(hub, home):
    zh = refused(home, "enroll", hub.url, "AAAA-BBBB-CCCC", exit_code=4)
    assert has_chinese(zh.removeprefix("错误: ")), zh  # not the hub's English words
    assert "注册码" in zh
    en = refused(home, "enroll", hub.url, "AAAA-BBBB-CCCC", exit_code=4, lang="en")
    assert not has_chinese(en) and "code" in en
    assert not (home / "keys" / "device.pem").exists()


def test_an_unreachable_hub_exits_3_and_enrols_nothing(home):
    message = refused(home, "enroll", DOWN, "AAAA-BBBB-CCCC", exit_code=3)
    assert "连不上中心" in message
    # Nothing was saved by an enrolment that never reached the hub: do not claim otherwise.
    assert "已保存" not in message
    en = refused(home, "enroll", DOWN, "AAAA-BBBB-CCCC", exit_code=3, lang="en")
    assert "hub" in en and "kept" not in en
    assert not (home / "keys" / "device.pem").exists()


def test_a_used_code_and_an_expired_code_are_refused(hub, home, tmp_path):
    code = hub.enrolment_code(WUHOU)
    ok(home, "enroll", hub.url, code)
    used = refused(tmp_path / "second", "enroll", hub.url, code, exit_code=4)
    assert "已经用过" in used
    assert "already used" in refused(
        tmp_path / "second", "enroll", hub.url, code, exit_code=4, lang="en"
    )
    expired = hub.enrolment_code(WUHOU, ttl_s=-60)
    assert "过期" in refused(tmp_path / "third", "enroll", hub.url, expired, exit_code=4)
    assert "expired" in refused(
        tmp_path / "third", "enroll", hub.url, expired, exit_code=4, lang="en"
    )
    for folder in ("second", "third"):
        assert not (tmp_path / folder / "keys" / "device.pem").exists()


# --- capture ------------------------------------------------------------------------------


def test_new_prints_exactly_id_and_receipt_and_works_with_the_hub_down(hub, home, id_card):
    device = enroll(home, hub)
    set_hub_url(home, DOWN)
    result = ok(home, *new_args(id_card, "--pickup"))
    made = json.loads(result.stdout)
    assert set(made) == {"id", "receipt"}
    assert result.stdout == json.dumps(made, ensure_ascii=False) + "\n"
    assert made["receipt"].startswith(device["device_id"].removeprefix("dev-") + "-")
    mailed = capture(home, id_card, "--mail-to", ADDRESS, "--region", "510104")
    [second, first] = listed(home)
    assert (first["id"], first["receipt"], second["id"]) == (
        made["id"],
        made["receipt"],
        mailed["id"],
    )
    assert first["item"] == "SS-CARD-APPLY" and first["staff"] == "runner-7"
    assert (first["delivery"], second["delivery"]) == ("pickup", "mail")
    assert {a["sync_state"] for a in (first, second)} == {"queued"}
    assert {a["hub_status"] for a in (first, second)} == {None}
    assert first["applicant"] == {"name": "张*", "id_number": "1101**********002X",
                                  "phone": "138****5678"}  # fmt: skip
    assert status(home)["unsent"] == 2
    # The words for people: the receipt number to give the citizen.
    words = ok(home, *new_args(id_card, "--pickup")[:-1]).stdout
    assert words.startswith("回执号 ")


REFUSALS = [
    # (what, arguments after the common ones, exit code, words in the Chinese message)
    ("bad ID check digit", ["--id-number", ID_BAD_CHECK], 1, "校验位"),
    ("bad phone", ["--phone", "23812345678"], 1, "手机号码"),
    ("unknown item", ["--item", "NO-SUCH-ITEM"], 1, "NO-SUCH-ITEM"),
    ("item not at a postal outlet", ["--item", "CA-DIBAO"], 1, "最低生活保障申请"),
    ("non-promisable promised", ["--promise", "ID-CARD"], 1, "不能容缺"),
    ("unknown material", ["--paper", "PASSPORT"], 1, "PASSPORT"),
    ("--pickup with --mail-to", ["--mail-to", ADDRESS], 2, "--pickup or --mail-to"),
    ("material without =", ["--material", "ID-CARD"], 1, "材料代码=文件"),
]


def test_refused_input_stores_nothing(hub, home, tmp_path, id_card):
    enroll(home, hub)
    capture(home, id_card)
    before = (listed(home), status(home)["unsent"], scans_on_disk(home))
    common = new_args(id_card, "--pickup")

    def refuse(args: list[str], exit_code: int, lang: str | None = None) -> str:
        message = refused(home, *args, exit_code=exit_code, lang=lang)
        assert (listed(home), status(home)["unsent"], scans_on_disk(home)) == before, args
        return message

    for what, extra, exit_code, words in REFUSALS:
        args = common[:-1] + extra + ["--json"]  # a later option wins over the common one
        assert words in refuse(args, exit_code), what
    # Required material missing: the ID card is neither scanned nor seen on paper.
    bare = ["new", "--item", "SS-CARD-APPLY", "--name", "张三", "--id-number", ID_X]
    bare += ["--phone", PHONE]
    assert "缺少必需材料" in refuse([*bare, "--pickup", "--promise", "PHOTO"], 1)
    # A scanned file that is not there (after a good one: that one is not kept either).
    missing = tmp_path / "nope.jpg"
    other = scan(tmp_path, "photo.jpg", b"\xff\xd8 a photo")
    promised = ["--pickup", "--promise", "PHOTO"]
    message = refuse([*bare, *promised, "--material", f"ID-CARD={missing}"], 1)
    assert "材料文件读不到" in message and "nope.jpg" in message
    assert "nope.jpg" in refuse(
        [*bare, "--pickup", "--material", f"PHOTO={other}", "--material", f"ID-CARD={missing}"],
        1,
    )
    # Usage errors: neither --pickup nor --mail-to, a missing --name.
    assert "--pickup or --mail-to" in refuse([*bare, "--material", f"ID-CARD={id_card}"], 2)
    no_name = [a for a in common if a not in ("--name", "张三")]
    assert "--name" in refuse(no_name, 2)
    # English with --lang en, Chinese by default.
    bad_id = [*common[:-1], "--id-number", ID_BAD_CHECK]
    en = refuse(bad_id, 1, lang="en")
    assert "check character" in en and not has_chinese(en)
    assert has_chinese(refuse(bad_id, 1).removeprefix("错误: "))


def test_mail_is_refused_for_an_item_that_cannot_be_mailed(hub, home):
    enroll(home, hub, JINTANG)  # a township outlet: it may take ID-card renewals
    args = ["new", "--item", "HJ-ID-RENEW", "--name", "李四", "--id-number", ID_X]
    args += ["--phone", PHONE, "--paper", "HUKOU", "--paper", "OLD-ID", "--promise", "PHOTO"]
    message = refused(home, *args, "--mail-to", ADDRESS)
    assert "不能邮寄" in message and "居民身份证换领" in message
    assert listed(home) == [] and status(home)["unsent"] == 0
    made = as_json(ok(home, *args, "--pickup", "--json"))  # collected at the outlet instead
    assert [a["id"] for a in listed(home)] == [made["id"]]


def test_new_from_a_json_file(hub, home, tmp_path, id_card):
    enroll(home, hub)
    fields = {
        "item": "SS-CARD-APPLY",
        "name": "王五",
        "id_number": ID_X,
        "phone": PHONE,
        "mail_to": ADDRESS,
        "materials": {"ID-CARD": [str(id_card)]},
        "promised": ["PHOTO"],
        "staff": "runner-9",
    }
    form = tmp_path / "form.json"
    form.write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")
    made = as_json(ok(home, "new", "--from-json", str(form), "--json"))
    assert set(made) == {"id", "receipt"}
    [app] = listed(home)
    assert (app["id"], app["delivery"], app["staff"]) == (made["id"], "mail", "runner-9")
    assert app["applicant"]["name"] == "王*"
    form.write_text("[1, 2]", encoding="utf-8")
    assert "JSON object" in refused(home, "new", "--from-json", str(form), "--json")
    form.write_text(json.dumps({**fields, "id_number": ID_BAD_CHECK}), encoding="utf-8")
    assert "校验位" in refused(home, "new", "--from-json", str(form))
    assert len(listed(home)) == 1


# --- sync ---------------------------------------------------------------------------------


def test_sync_keeps_work_when_the_hub_is_unreachable_then_sends_it(hub, home, id_card):
    enroll(home, hub)
    made = [capture(home, id_card), capture(home, id_card, "--mail-to", ADDRESS)]
    set_hub_url(home, DOWN)
    message = refused(home, "sync", exit_code=3)
    assert "连不上中心" in message
    failed = run(home, "sync", "--json")
    assert failed.exit_code == 3 and as_json(failed)["ok"] is False
    assert {a["sync_state"] for a in listed(home)} == {"queued"}
    report = status(home)
    assert report["unsent"] == 2 and report["last_sync_at"] is None
    assert report["last_round"]["outcome"] == "HubUnavailable"
    set_hub_url(home, hub.url)
    summary = as_json(ok(home, "sync", "--json"))
    assert summary["ok"] is True and (summary["settled"], summary["unsent"]) == (2, 0)
    # Each copy is sealed for its own application, so the same page is two sealed blobs.
    assert summary["uploaded"] == 2
    rows = listed(home)
    assert {a["id"] for a in rows} == {m["id"] for m in made}
    for app in rows:
        assert {"id", "receipt", "item", "sync_state", "hub_status"} <= set(app)
        assert (app["item"], app["sync_state"], app["hub_status"]) == (
            "SS-CARD-APPLY",
            "sent",
            "routed",
        )
        assert app["unit"] == "HRSS-510107"
    report = status(home)
    assert report["unsent"] == 0 and isinstance(report["last_sync_at"], int)
    assert ok(home, "sync").stdout.startswith("同步完成")  # nothing new: still exit 0


def test_sync_on_a_device_that_is_not_enrolled(home, id_card):
    assert "注册" in refused(home, "sync")
    assert "not enrolled" in refused(home, *new_args(id_card, "--pickup"), lang="en")
    assert listed(home) == [] and status(home)["enrolled"] is False
    assert "not enrolled" in refused(home, "sync", lang="en")
    assert "not enrolled" in refused(home, "serve", "--once", lang="en")


def test_a_revoked_device_is_refused_and_keeps_its_work(hub, home, id_card):
    from hub import store
    from hub.store import write as hub_write

    device = enroll(home, hub)
    made = capture(home, id_card)
    db = hub.db()
    try:
        with hub_write(db):
            store.devices.revoke_device(db, device["device_id"], reason="lost", now=hub.clock())
    finally:
        db.close()
    assert "中心已停用本设备" in refused(home, "sync", exit_code=4)  # its own words, work kept
    result = run(home, "sync", "--json")
    assert result.exit_code == 4 and as_json(result)["code"] == "device_revoked"
    [app] = listed(home)
    assert (app["id"], app["sync_state"]) == (made["id"], "queued")
    assert status(home)["unsent"] == 1
    # Enrolled again (a new code, a new key), the kept work goes through.
    enroll(home, hub)
    assert as_json(ok(home, "sync", "--json"))["settled"] == 1
    assert [(a["id"], a["hub_status"]) for a in listed(home)] == [(made["id"], "routed")]


def test_two_sync_rounds_never_run_at_once(hub, home, id_card):
    enroll(home, hub)
    capture(home, id_card)
    with Home(home).sync_lock():
        assert "另一个同步" in refused(home, "sync", exit_code=5)
        busy = run(home, "sync", "--json")
        assert busy.exit_code == 5 and as_json(busy)["ok"] is False
    assert status(home)["unsent"] == 1
    ok(home, "sync")
    assert status(home)["unsent"] == 0


def test_serve_once_runs_one_round(hub, home, id_card):
    enroll(home, hub)
    capture(home, id_card)
    ok(home, "serve", "--once")
    assert status(home)["unsent"] == 0 and listed(home)[0]["hub_status"] == "routed"


# --- looking ------------------------------------------------------------------------------


def test_show_by_id_and_by_receipt_with_its_timeline(hub, home, id_card):
    enroll(home, hub)
    made = capture(home, id_card)
    before = as_json(ok(home, "show", made["id"], "--json"))
    assert [e["event"] for e in before["timeline"]] == ["captured"]
    assert before["timeline"][0]["source"] == "local"
    ok(home, "sync")
    by_id = as_json(ok(home, "show", made["id"], "--json"))
    by_receipt = as_json(ok(home, "show", made["receipt"], "--json"))
    assert by_id == by_receipt
    assert (by_id["id"], by_id["receipt"], by_id["hub_status"]) == (
        made["id"],
        made["receipt"],
        "routed",
    )
    events = {(e["source"], e["event"]) for e in by_id["timeline"]}
    assert {("local", "captured"), ("hub", "routed"), ("local", "accepted by hub")} <= events
    assert by_id["attention"] == []
    words = ok(home, "show", made["receipt"]).stdout
    assert made["receipt"] in words and "routed" in words
    assert "找不到" in refused(home, "show", "9999-999999-9")
    assert "no application" in refused(home, "show", "nope", "--json", lang="en")


def test_supplement_pickup_and_rating_follow_the_hub(hub, home, id_card, tmp_path):
    enroll(home, hub)
    made = capture(home, id_card)
    receipt = made["receipt"]
    photo = scan(tmp_path, "photo.jpg", b"\xff\xd8 a photo")
    # Before the hub has even seen it, nothing of the kind can be done.
    assert "同步" in refused(home, "supplement", receipt, "--material", f"PHOTO={photo}")
    assert "还不能领取" in refused(home, "pickup", receipt)
    ok(home, "sync")
    assert "没有要求补正" in refused(home, "supplement", receipt, "--material", f"PHOTO={photo}")
    assert "routed" in refused(home, "pickup", receipt)
    assert "routed" in refused(home, "rate", receipt, "satisfied")
    assert "rate once" in refused(home, "rate", receipt, "satisfied", lang="en")
    refused(home, "rate", receipt, "so-so", exit_code=2)  # not a rating level
    assert "找不到" in refused(home, "pickup", "9999-999999-9")

    api = officer(hub)
    assert act(hub, api, made["id"], "accept") == "accepted"
    asked = act(
        hub, api, made["id"], "request_supplement", materials=["PHOTO"], message="请补交照片"
    )
    assert asked == "supplement_requested"
    summary = as_json(ok(home, "sync", "--json"))
    assert summary["attention"] == 1
    report = status(home)
    [item] = report["attention"]
    assert (item["kind"], item["application"]) == ("supplement", made["id"])
    assert item["reasons"][0]["materials"] == ["PHOTO"]
    shown = as_json(ok(home, "show", receipt, "--json"))
    assert shown["hub_status"] == "supplement_requested" and len(shown["attention"]) == 1

    missing = tmp_path / "nope.jpg"
    files = ["--material", f"PHOTO={photo}", "--material", f"PHOTO={missing}"]
    assert "nope.jpg" in refused(home, "supplement", receipt, *files)
    assert len(status(home)["attention"]) == 1 and status(home)["unsent"] == 0
    queued = as_json(
        ok(
            home,
            "supplement",
            receipt,
            "--material",
            f"PHOTO={photo}",
            "--note",
            "已补交",
            "--json",
        )
    )
    assert queued["application"] == made["id"]
    assert status(home)["attention"] == []  # handled here; the hub hears of it at the next sync
    assert as_json(ok(home, "sync", "--json"))["settled"] == 1
    assert listed(home)[0]["hub_status"] == "accepted"

    assert act(hub, api, made["id"], "approve") == "approved"
    assert act(hub, api, made["id"], "issue_result") == "ready_for_pickup"
    assert "accepted" in refused(home, "pickup", receipt)  # not synced yet: still accepted here
    ok(home, "sync")
    assert listed(home)[0]["hub_status"] == "ready_for_pickup"
    assert "ready_for_pickup" in refused(home, "rate", receipt, "satisfied")
    ok(home, "pickup", receipt, "--json")
    ok(home, "sync")
    assert listed(home)[0]["hub_status"] == "delivered"
    rated = as_json(ok(home, "rate", receipt, "very_satisfied", "--comment", "很方便", "--json"))
    assert rated["application"] == made["id"]
    summary = as_json(ok(home, "sync", "--json"))
    assert (summary["settled"], summary["refused"], summary["unsent"]) == (1, 0, 0)
    events = [e["event"] for e in as_json(ok(home, "show", made["id"], "--json"))["timeline"]]
    for event in ("supplement requested", "amended (supplement)", "ready_for_pickup"):
        assert event in events
    assert events[0] == "captured" and events[-3:] == ["picked up", "delivered", "rated"]


# --- re-enrolment -------------------------------------------------------------------------


def test_re_enrolling_at_another_outlet_with_unsynced_records_is_refused(hub, home, id_card):
    first = enroll(home, hub)
    made = capture(home, id_card)
    before = listed(home)
    message = refused(home, "enroll", hub.url, hub.enrolment_code(JINTANG))
    assert "未同步" in message and WUHOU in message
    assert listed(home) == before and status(home)["unsent"] == 1
    report = status(home)
    assert (report["device_id"], report["outlet"]["code"]) == (first["device_id"], WUHOU)
    # The old device and key still work: the records reach the hub.
    ok(home, "sync")
    assert [(a["id"], a["sync_state"]) for a in listed(home)] == [(made["id"], "sent")]
    # Once synced, moving to another outlet is allowed.
    moved = enroll(home, hub, JINTANG)
    assert moved["outlet"] == JINTANG and status(home)["outlet"]["code"] == JINTANG


def test_re_enrolling_at_the_same_outlet_keeps_unsynced_records(hub, home, id_card):
    first = enroll(home, hub)
    made = capture(home, id_card)
    second = enroll(home, hub)
    assert second["device_id"] != first["device_id"] and second["outlet"] == WUHOU
    [app] = listed(home)
    assert (app["id"], app["sync_state"]) == (made["id"], "queued")
    assert status(home)["unsent"] == 1
    more = capture(home, id_card)  # numbered under the new device
    assert more["receipt"].startswith(second["device_id"].removeprefix("dev-") + "-")
    summary = as_json(ok(home, "sync", "--json"))
    assert (summary["settled"], summary["refused"], summary["unsent"]) == (2, 0, 0)
    assert {(a["sync_state"], a["hub_status"]) for a in listed(home)} == {("sent", "routed")}


def test_re_enrolling_with_a_batch_in_flight_sends_its_records_afresh(hub, home, id_card):
    enroll(home, hub)
    made = capture(home, id_card)
    set_hub_url(home, DOWN)
    refused(home, "sync", exit_code=3)  # the batch is written before it is sent: in flight
    set_hub_url(home, hub.url)
    enroll(home, hub)  # e.g. a new key after the old one was revoked
    summary = as_json(ok(home, "sync", "--json"))
    assert (summary["settled"], summary["unsent"]) == (1, 0)
    assert [(a["id"], a["hub_status"]) for a in listed(home)] == [(made["id"], "routed")]


def test_re_enrolling_after_the_hub_applied_a_batch_whose_answer_was_lost(hub, home, id_card):
    from tests.support.netfaults import answer_dropping_proxy

    enroll(home, hub)
    made = capture(home, id_card)
    port = int(hub.url.rsplit(":", 1)[1])
    # 0 is the round's catch-up pull; every answer to the push (1, 2, 3) is lost.
    with answer_dropping_proxy(port, drop={1, 2, 3}) as proxy:
        set_hub_url(home, proxy)
        refused(home, "sync", exit_code=3)
    set_hub_url(home, hub.url)
    enroll(home, hub)
    summary = as_json(ok(home, "sync", "--json"))  # the hub answers "duplicate": settled
    assert (summary["settled"], summary["refused"], summary["unsent"]) == (1, 0, 0)
    assert [(a["id"], a["hub_status"]) for a in listed(home)] == [(made["id"], "routed")]


def test_re_enrolling_proves_the_succession_even_if_the_old_key_signs_again(hub, home, id_card):
    """A home enrolled again names its former device, signed by the old key: its unsent
    applications (numbered under the old tag) are accepted, whenever the old key last signed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from sync import signing
    from tests.support.device import Device

    first = enroll(home, hub)
    made = capture(home, id_card)
    second = enroll(home, hub)
    assert second["device_id"] != first["device_id"]
    # The old key signs a request after the re-enrolment (a round that was already running).
    old_key = serialization.load_pem_private_key((home / "keys" / "device.old").read_bytes(), None)
    assert isinstance(old_key, ed25519.Ed25519PrivateKey)
    hub_key = meta.get(Home(home).open(), "device")["hub_signing_key"]
    old = Device(hub.url, hub.clock, key=old_key, device_id=first["device_id"])
    old.hub_key = signing.public_key_from_text(hub_key)
    old.session.auth = signing.RequestAuth(
        key=old_key,
        key_id=old.device_id,
        clock=lambda: hub.clock() // 1000,
        nonces=lambda: "n" + str(time.time_ns()),
    )
    old.pull()
    summary = as_json(ok(home, "sync", "--json"))
    assert (summary["settled"], summary["refused"], summary["unsent"]) == (1, 0, 0)
    assert [(a["id"], a["hub_status"]) for a in listed(home)] == [(made["id"], "routed")]


def test_re_enrolling_while_a_sync_round_runs_is_refused_with_exit_5(hub, home, id_card):
    first = enroll(home, hub)
    capture(home, id_card)
    code = hub.enrolment_code(WUHOU)
    with Home(home).sync_lock():
        message = refused(home, "enroll", hub.url, code, exit_code=5, lang="en")
    assert "sync" in message and len(message.splitlines()) == 1
    assert status(home)["device_id"] == first["device_id"]
    assert enroll_with(home, hub, code)["device_id"] != first["device_id"]  # code not burnt


def enroll_with(home: Path, hub: ServedHub, code: str) -> dict[str, Any]:
    return as_json(ok(home, "enroll", hub.url, code, "--json"))


# --- the outlet's phone on receipts --------------------------------------------------------


def test_outlet_phone_is_set_normalised_shown_and_cleared(home):
    assert "尚未设置网点电话" in ok(home, "outlet-phone").stdout
    assert as_json(ok(home, "outlet-phone", "--json")) == {"phone": None}
    for typed, kept in (
        ("028-85551234", "028-85551234"),
        ("(028) 8555 1234", "028-85551234"),
        ("+86 28 8555 1234", "028-85551234"),
        ("0755-12345678", "0755-12345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
    ):
        assert as_json(ok(home, "outlet-phone", typed, "--json")) == {"ok": True, "phone": kept}
        assert ok(home, "outlet-phone").stdout.strip() == kept
    words = ok(home, "outlet-phone", "028-85551234").stdout
    assert words.strip() == "回执上将印出网点电话 028-85551234"
    assert (
        "outlet's phone 028-85551234" in ok(home, "outlet-phone", "02885551234", lang="en").stdout
    )
    assert "不再印网点电话" in ok(home, "outlet-phone", "--clear").stdout
    assert as_json(ok(home, "outlet-phone", "--json")) == {"phone": None}


def test_a_bad_outlet_phone_is_refused_in_one_line_and_the_old_one_stays(home):
    ok(home, "outlet-phone", "028-85551234")
    # No area code, too short, not a number, a service number, an unassigned mobile range,
    # another country.
    for bad in ("85551234", "028-8555", "outlet", "12345", "12012345678", "+1 212 555 0100"):
        message = refused(home, "outlet-phone", bad)
        assert f"{bad} 不是可印在回执上的电话号码" in message and "028-85551234" in message
    assert "is not a phone number for receipts" in refused(home, "outlet-phone", "12", lang="en")
    assert ok(home, "outlet-phone").stdout.strip() == "028-85551234"
    refused(home, "outlet-phone", "028-85551234", "--clear", exit_code=2)


# --- help and docs ------------------------------------------------------------------------


def test_every_command_has_help(tmp_path):
    assert {"enroll", "new", "sync", "serve", "list", "show", "status"} <= set(cli.commands)
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), name
        result = CliRunner().invoke(cli, [name, "--help"], env=CLEAN_ENV)
        assert result.exit_code == 0 and "Usage:" in result.output, name
    assert "Exit" in CliRunner().invoke(cli, ["sync", "-h"]).output


FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
EXIT_LINE = re.compile(r"^\s+(\d)\s+(\S.*)$", re.MULTILINE)
EXIT_ROW = re.compile(r"^\|\s*`?(\d)`?\s*\|\s*(.+?)\s*\|\s*$", re.MULTILINE)


def code_lines() -> Iterator[str]:
    text = AGENT_MD.read_text(encoding="utf-8")
    for block in FENCED.findall(text):
        yield from block.splitlines()
    yield from INLINE.findall(FENCED.sub("", text))


def plain(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def exit_codes_in_docstring() -> dict[str, str]:
    doc = agent_cli.__doc__ or ""
    table = doc.split("Exit codes", 1)[1]
    return {code: plain(words) for code, words in EXIT_LINE.findall(table)}


def test_every_command_is_shown_in_the_docs():
    shown = set()
    for line in code_lines():
        if "daiban-agent" in line:
            words = line.split("daiban-agent", 1)[1].split()
            shown |= {w for w in words if not w.startswith("-")}
    missing = sorted(name for name in cli.commands if name not in shown)
    assert not missing, f"not shown in docs/agent.md as `daiban-agent ... NAME`: {missing}"


def test_the_exit_code_table_in_the_docs_matches_the_code():
    codes = exit_codes_in_docstring()
    assert sorted(codes) == ["0", "1", "2", "3", "4", "5"]  # the parse found the table
    text = AGENT_MD.read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {code: plain(words) for code, words in EXIT_ROW.findall(section)}
    assert rows == codes
    assert "DAIBAN_LANG" in text and "DAIBAN_AGENT_HOME" in text
