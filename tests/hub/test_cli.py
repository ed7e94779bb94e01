"""``daiban-hub``: the command-line interface scripts rely on, driven in-process with CliRunner.

Exit codes are part of the interface: 0 done, 1 refused (a one-line message, nothing changed),
2 usage error. A refusal must be a clean ``Error: ...`` line, never a traceback.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import chinese_calendar
import click
import pytest
import requests
from click.testing import CliRunner, Result

from hub.cli import cli
from hub.store import open_db
from tests.support.device import Device
from tests.support.served import Clock, served_hub

CHINA = timezone(timedelta(hours=8))
# Monday 2026-11-23, 10:00 in China: 2027 is within the sweep's 120-day horizon.
NOV_2026 = int(datetime(2026, 11, 23, 10, 0, tzinfo=CHINA).timestamp() * 1000)
BLOCKS = set("█▀▄")


def run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data", str(data), *args])


def ok(data: Path, *args: str) -> Result:
    result = run(data, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def refused(data: Path, *args: str, exit_code: int = 1) -> str:
    """Run a command that must be refused cleanly; return its one-line message."""
    result = run(data, *args)
    assert result.exit_code == exit_code, (result.output, result.exception)
    # An uncaught exception also exits 1 under CliRunner: insist on a deliberate exit.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    if exit_code == 1:
        assert message.startswith("Error: ") and "\n" not in message, message
    return message


def as_json(result: Result):
    return json.loads(result.stdout)


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every path under ``root`` with its mtime, mode and (for files) bytes."""
    return {
        str(p.relative_to(root)): (
            p.stat().st_mtime_ns,
            p.stat().st_mode,
            p.read_bytes() if p.is_file() else b"",
        )
        for p in sorted(root.rglob("*"))
    }


def rows(data: Path, sql: str) -> list[dict]:
    db = open_db(data / "hub.db", migrate=False)
    try:
        return list(db.query(sql))
    finally:
        db.close()


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "hub"
    ok(folder, "init")
    return folder


@pytest.fixture
def data(initialised: Path, tmp_path: Path) -> Path:
    """An initialised hub data folder (made once by the CLI, copied for each test)."""
    return Path(shutil.copytree(initialised, tmp_path / "hub"))


@pytest.fixture
def outlet(data: Path) -> str:
    ok(data, *"outlet add PO-WUHOU-01 --kind postal --name 武侯邮局 --region 510107".split())
    return "PO-WUHOU-01"


# --- init --------------------------------------------------------------------------------------


def test_init_creates_database_private_keys_and_blobs(tmp_path: Path) -> None:
    folder = tmp_path / "hub"
    result = ok(folder, "init")
    assert str(folder) in result.stdout
    assert (folder / "hub.db").is_file()
    assert (folder / "blobs").is_dir()
    assert (folder / "keys").stat().st_mode & 0o777 == 0o700
    for name in ("signing.pem", "sealing.pem"):
        key = folder / "keys" / name
        assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert key.stat().st_mode & 0o777 == 0o600
    assert rows(folder, "SELECT version FROM catalogue") == [{"version": 1}]


def test_init_twice_is_refused_and_changes_nothing(data: Path) -> None:
    before = snapshot(data)
    message = refused(data, "init")
    assert "hub.db" in message or "already" in message
    refused(data, "init", "--json")
    assert snapshot(data) == before


def test_init_json(tmp_path: Path) -> None:
    body = as_json(ok(tmp_path / "hub", "init", "--json"))
    assert body["ok"] is True and body["items"] > 0
    assert body["data"] == str(tmp_path / "hub")


def test_init_with_a_broken_catalogue_creates_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nitems: [\n", encoding="utf-8")
    message = refused(tmp_path / "hub", "init", "--catalogue", str(broken))
    assert "line" in message
    assert not (tmp_path / "hub").exists()


def test_init_over_leftover_keys_is_refused_cleanly(tmp_path: Path) -> None:
    keys = tmp_path / "hub" / "keys"
    keys.mkdir(parents=True)
    (keys / "sealing.pem").write_bytes(b"restored from a backup")
    before = snapshot(tmp_path / "hub")
    assert "sealing.pem" in refused(tmp_path / "hub", "init")
    assert snapshot(tmp_path / "hub") == before
    assert sorted(p.name for p in keys.iterdir()) == ["sealing.pem"]
    assert not (tmp_path / "hub" / "hub.db").exists()


def test_commands_on_a_folder_without_a_hub_are_refused(tmp_path: Path) -> None:
    message = refused(tmp_path / "nothing", "outlet", "list")
    assert "init" in message
    refused(tmp_path / "nothing", "sweep", "--json")
    refused(tmp_path / "nothing", "serve", "--port", "0")
    assert not (tmp_path / "nothing").exists()


def test_data_folder_from_the_environment(data: Path) -> None:
    result = CliRunner(env={"DAIBAN_HUB_DATA": str(data)}).invoke(cli, ["outlet", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


# --- outlets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["postal", "mobile", "township", "village"])
def test_outlet_add_each_kind(data: Path, kind: str) -> None:
    result = ok(
        data, *f"outlet add X-{kind} --kind {kind} --name 某点 --region 510121 --json".split()
    )
    assert as_json(result) == {"ok": True, "code": f"X-{kind}"}
    listed = as_json(ok(data, "outlet", "list", "--json"))
    assert [(o["code"], o["kind"], o["name"], o["region"]) for o in listed] == [
        (f"X-{kind}", kind, "某点", "510121")
    ]


def test_outlet_add_bad_kind_is_a_usage_error(data: Path) -> None:
    args = "outlet add PO-1 --kind bank --name x --region 510107".split()
    message = refused(data, *args, exit_code=2)
    assert "--kind" in message
    assert as_json(ok(data, "outlet", "list", "--json")) == []


@pytest.mark.parametrize("region", ["5101", "51010A", "5101070", ""])
def test_outlet_add_bad_region_is_refused(data: Path, region: str) -> None:
    message = refused(
        data, "outlet", "add", "PO-1", "--kind", "postal", "--name", "x", "--region", region
    )
    assert f"region '{region}'" in message
    assert as_json(ok(data, "outlet", "list", "--json")) == []


@pytest.mark.parametrize(
    ("code", "name"),
    [("PO 1", "x"), ("PO/1", "x"), ("PO-1", "   "), ("新乐镇", "x"), ("_PO", "x"), ("P" * 65, "x")],
    ids=["space", "slash", "name", "not-ascii", "leading-underscore", "too-long"],
)
def test_outlet_add_bad_code_or_name_is_refused(data: Path, code: str, name: str) -> None:
    refused(data, "outlet", "add", code, "--kind", "postal", "--name", name, "--region", "510107")
    assert as_json(ok(data, "outlet", "list", "--json")) == []


def test_outlet_add_duplicate_code_is_refused(data: Path, outlet: str) -> None:
    message = refused(
        data, "outlet", "add", outlet, "--kind", "village", "--name", "other", "--region", "510121"
    )
    assert outlet in message
    listed = as_json(ok(data, "outlet", "list", "--json"))
    assert [(o["code"], o["kind"], o["region"]) for o in listed] == [(outlet, "postal", "510107")]


def test_outlet_list_text(data: Path, outlet: str) -> None:
    line = ok(data, "outlet", "list").stdout.strip()
    assert line.split("\t") == [outlet, "postal", "510107", "武侯邮局"]


# --- enrolment codes ---------------------------------------------------------------------------


def test_enroll_json(data: Path, outlet: str) -> None:
    before = int(time.time() * 1000)
    body = as_json(ok(data, "enroll", outlet, "--json", "--ttl-hours", "2"))
    assert isinstance(body, dict) and {"code", "expires_at"} <= body.keys()
    assert isinstance(body["code"], str) and len(body["code"]) >= 8
    assert before + 2 * 3600_000 <= body["expires_at"] <= int(time.time() * 1000) + 2 * 3600_000
    again = as_json(ok(data, "enroll", outlet, "--json"))
    assert again["code"] != body["code"]


def test_enroll_unknown_outlet_is_refused(data: Path) -> None:
    assert "NOPE" in refused(data, "enroll", "NOPE", "--json")
    assert rows(data, "SELECT * FROM enrolment_codes") == []


@pytest.mark.parametrize("hours", ["0", "-5"])
def test_enroll_refuses_a_code_that_is_born_expired(data: Path, outlet: str, hours: str) -> None:
    assert "--ttl-hours" in refused(data, "enroll", outlet, "--ttl-hours", hours, exit_code=2)
    assert rows(data, "SELECT * FROM enrolment_codes") == []


def test_enroll_text_shows_code_command_and_qr(data: Path, outlet: str) -> None:
    out = ok(data, "enroll", outlet, "--hub-url", "http://hub.example:8700").stdout
    first = out.splitlines()[0]
    code = first.split(": ", 1)[1].split()[0]
    assert outlet in first
    assert f"daiban-agent enroll http://hub.example:8700 {code}" in out
    qr = [line for line in out.splitlines() if set(line) & BLOCKS]
    assert len(qr) >= 10


# --- users -------------------------------------------------------------------------------------


def test_user_add_json_and_list(data: Path) -> None:
    admin = as_json(ok(data, "user", "add", "alice", "--role", "admin", "--json"))
    assert admin["token"] and admin["name"] == "alice" and admin["role"] == "admin"
    officer = as_json(
        ok(data, "user", "add", "bob", "--role", "officer", "--unit", "HRSS-510107", "--json")
    )
    assert officer["unit"] == "HRSS-510107" and officer["token"] != admin["token"]
    listed = as_json(ok(data, "user", "list", "--json"))
    assert [(u["name"], u["role"], u["unit"]) for u in listed] == [
        ("alice", "admin", None),
        ("bob", "officer", "HRSS-510107"),
    ]
    assert not any("token" in k or "password" in k for u in listed for k in u)


def test_user_add_text_shows_token_once(data: Path) -> None:
    password = "tall-violet-kettle-42"
    out = ok(data, "user", "add", "carol", "--role", "operator", "--password", password).stdout
    assert "dbt_" in out and password in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--role", "officer"], "--unit"),
        (["--role", "officer", "--unit", "NO-SUCH-UNIT"], "NO-SUCH-UNIT"),
        (["--role", "admin", "--unit", "HRSS-510107"], "unit"),
    ],
    ids=["officer-without-unit", "officer-unknown-unit", "admin-with-unit"],
)
def test_user_add_refusals(data: Path, args: list[str], needle: str) -> None:
    assert needle in refused(data, "user", "add", "dave", *args, "--json")
    assert as_json(ok(data, "user", "list", "--json")) == []


def test_user_add_duplicate_name_is_refused(data: Path) -> None:
    ok(data, "user", "add", "alice", "--role", "admin")
    assert "alice" in refused(data, "user", "add", "alice", "--role", "operator", "--json")
    assert [u["role"] for u in as_json(ok(data, "user", "list", "--json"))] == ["admin"]


def test_user_add_bad_role_is_a_usage_error(data: Path) -> None:
    refused(data, "user", "add", "eve", "--role", "root", exit_code=2)


def test_user_tokens_authenticate_against_a_served_hub(data: Path) -> None:
    tokens = {
        role: as_json(ok(data, "user", "add", role, "--role", role, *extra, "--json"))["token"]
        for role, extra in [
            ("admin", []),
            ("operator", []),
            ("officer", ["--unit", "HRSS-510107"]),
        ]
    }
    with served_hub(data, Clock(int(time.time() * 1000))) as hub:
        url = f"{hub.url}/api/v1/applications"
        for role, token in tokens.items():
            response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 200, (role, response.text)
            assert response.json()["ok"] is True
        wrong = requests.get(url, headers={"Authorization": "Bearer dbt_wrong"}, timeout=10)
        assert wrong.status_code == 401


# --- catalogue ---------------------------------------------------------------------------------


def test_catalogue_export_json(data: Path) -> None:
    items = as_json(ok(data, "catalogue", "export", "--json"))
    assert isinstance(items, list) and len(items) >= 30
    for item in items:
        keys = {
            "code",
            "name",
            "department",
            "unit_by_region",
            "outlet_kinds",
            "mailable",
            "promised_days",
            "materials",
        }
        assert keys <= item.keys(), item
        assert isinstance(item["unit_by_region"], dict) and isinstance(item["mailable"], bool)
        assert set(item["outlet_kinds"]) <= {"postal", "mobile", "township", "village"}
        for material in item["materials"]:
            assert {"code", "name", "required", "may_promise"} <= material.keys()
    assert len({i["code"] for i in items}) == len(items)


def test_catalogue_yaml_export_reimports_as_the_next_version(data: Path, tmp_path: Path) -> None:
    text = ok(data, "catalogue", "export").stdout
    assert ok(data, "catalogue", "export", "--yaml").stdout == text
    exported = tmp_path / "catalogue.yaml"
    exported.write_text(text, encoding="utf-8")
    before = as_json(ok(data, "catalogue", "export", "--json"))
    body = as_json(ok(data, "catalogue", "import", str(exported), "--json"))
    assert body["ok"] is True and body["version"] == 2 and body["items"] == len(before)
    assert as_json(ok(data, "catalogue", "export", "--json")) == before
    assert "version 3" in ok(data, "catalogue", "import", str(exported)).stdout
    assert [r["version"] for r in rows(data, "SELECT version FROM catalogue")] == [1, 2, 3]


def _versions(data: Path) -> list[int]:
    return [r["version"] for r in rows(data, "SELECT version FROM catalogue ORDER BY version")]


def test_catalogue_import_refuses_promised_beyond_legal(data: Path, tmp_path: Path) -> None:
    text = ok(data, "catalogue", "export").stdout
    item = as_json(ok(data, "catalogue", "export", "--json"))[0]
    old = f"promised_days: {item['promised_days']}\n"
    assert old in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace(old, f"promised_days: {item['legal_days'] + 1}\n", 1), encoding="utf-8"
    )
    message = refused(data, "catalogue", "import", str(broken), "--json")
    assert item["code"] in message and "legal_days" in message and "line" in message
    assert _versions(data) == [1]


def test_catalogue_import_refuses_a_yaml_syntax_error(data: Path, tmp_path: Path) -> None:
    lines = ok(data, "catalogue", "export").stdout.splitlines()
    lines.insert(11, "  - code: [unclosed")
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refused(data, "catalogue", "import", str(broken))
    assert "line " in message and "YAML" in message
    assert _versions(data) == [1]


def test_catalogue_import_missing_file_is_a_usage_error(data: Path, tmp_path: Path) -> None:
    refused(data, "catalogue", "import", str(tmp_path / "absent.yaml"), exit_code=2)
    assert _versions(data) == [1]


# --- devices -----------------------------------------------------------------------------------


def test_device_list_and_revoke(data: Path, outlet: str) -> None:
    assert as_json(ok(data, "device", "list", "--json")) == []
    assert "no devices" in ok(data, "device", "list").stdout
    code = as_json(ok(data, "enroll", outlet, "--json"))["code"]
    with served_hub(data, Clock(int(time.time() * 1000))) as hub:
        device = Device(hub.url, hub.clock)
        assert device.enroll(code)["ok"]
        device.pull()
        listed = as_json(ok(data, "device", "list", "--json"))
        assert [(d["id"], d["outlet"]) for d in listed] == [(device.device_id, outlet)]
        assert listed[0]["revoked_at"] is None and "public_key" not in listed[0]
        # --json keeps Unix milliseconds; the text shows the server's local time.
        seen = listed[0]["last_seen_at"]
        assert isinstance(seen, int) and seen > 1_700_000_000_000
        line = ok(data, "device", "list").stdout
        local = datetime.fromtimestamp(seen / 1000).astimezone()
        assert f"last seen {local.isoformat(' ', timespec='seconds')}\t" in line, line
        assert str(seen) not in line

        assert "no-such-device" in refused(
            data, "device", "revoke", "no-such-device", "--reason", "lost"
        )
        result = ok(data, "device", "revoke", device.device_id, "--reason", "stolen", "--json")
        assert as_json(result) == {"ok": True, "device": device.device_id}
        again = refused(data, "device", "revoke", device.device_id, "--reason", "again")
        assert device.device_id in again
        after = as_json(ok(data, "device", "list", "--json"))[0]
        assert after["revoked_at"] is not None and after["revoked_reason"] == "stolen"
        assert "REVOKED" in ok(data, "device", "list").stdout

        answer = device.session.get(f"{hub.url}/api/v1/sync/pull", timeout=10)
        assert answer.status_code in (401, 403) and answer.json()["code"] == "device_revoked"


def test_device_revoke_needs_a_reason(data: Path) -> None:
    refused(data, "device", "revoke", "dev-X", exit_code=2)


# --- calendar and sweep ------------------------------------------------------------------------

SCHEDULE_2027 = "date,workday,name\n2027-01-01,0,元旦\n2027-02-06,0,春节\n2027-02-20,1,春节调休\n"


@pytest.fixture
def november_2026(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pin the CLI's clock (``sweep`` otherwise reads the real time) and give the hub a
    calendar package that does not know 2027 yet, as chinese_calendar is until the State
    Council publishes: the test then runs the same before and after an upgrade knows 2027."""
    known = chinese_calendar.is_workday

    def is_workday(day: date) -> bool:
        if day.year >= 2027:
            raise NotImplementedError(f"no schedule for {day.year}")
        return bool(known(day))

    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)
    monkeypatch.setattr("hub.cli.common.now_ms", lambda: NOV_2026)
    yield


def test_calendar_load_and_sweep(data: Path, tmp_path: Path, november_2026: None) -> None:
    assert 2027 in as_json(ok(data, "sweep", "--json"))["calendar_missing"]
    alarms = rows(data, "SELECT key FROM alarms WHERE cleared_at IS NULL")
    assert {"key": "calendar.2027"} in alarms
    # The alarm says when the schedule is expected and which command loads it.
    (message,) = rows(data, "SELECT message FROM alarms WHERE key = 'calendar.2027'")
    assert "国务院办公厅" in message["message"]
    assert "late October and mid November 2026" in message["message"]
    assert "`daiban-hub calendar load FILE --year 2027`" in message["message"]

    partial = tmp_path / "partial.csv"
    partial.write_text(SCHEDULE_2027, encoding="utf-8")
    assert as_json(ok(data, "calendar", "load", str(partial), "--json"))["days"] == 3
    assert 2027 in as_json(ok(data, "sweep", "--json"))["calendar_missing"]

    schedule = tmp_path / "2027.csv"
    schedule.write_bytes(("\ufeff" + SCHEDULE_2027).encode("utf-8"))
    body = as_json(ok(data, "calendar", "load", str(schedule), "--year", "2027", "--json"))
    assert body == {"ok": True, "days": 3, "year": 2027}
    swept = as_json(ok(data, "sweep", "--json"))
    assert 2027 not in swept["calendar_missing"] and swept["sla_changes"] == {}
    assert rows(data, "SELECT key FROM alarms WHERE cleared_at IS NULL") == []
    days = rows(data, "SELECT day, workday, name FROM calendar_overrides ORDER BY day")
    assert [(d["day"], d["workday"]) for d in days] == [
        ("2027-01-01", 0),
        ("2027-02-06", 0),
        ("2027-02-20", 1),
    ]


@pytest.mark.parametrize(
    ("csv", "line"),
    [
        ("date,workday,name\n2027-01-01,0,元旦\n2027-02-30,0,春节\n", 3),
        ("date,workday,name\n2027-01-01,0,元旦\n\n2027-02-06,maybe,春节\n", 4),
        ("date,workday,name\n2027-01-01,0,元旦\n2027-01-01,1,again\n", 3),
        ("day,off\n2027-01-01,0\n", 1),
    ],
    ids=["no-such-day", "bad-workday", "duplicate", "header"],
)
def test_calendar_load_bad_row_is_refused(
    data: Path, tmp_path: Path, november_2026: None, csv: str, line: int
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(csv, encoding="utf-8")
    assert f"line {line}" in refused(data, "calendar", "load", str(bad), "--year", "2027")
    assert rows(data, "SELECT * FROM calendar_overrides") == []
    assert 2027 in as_json(ok(data, "sweep", "--json"))["calendar_missing"]


def test_calendar_load_rows_outside_the_year_are_refused(
    data: Path, tmp_path: Path, november_2026: None
) -> None:
    schedule = tmp_path / "2027.csv"
    schedule.write_text(SCHEDULE_2027, encoding="utf-8")
    assert "2026" in refused(data, "calendar", "load", str(schedule), "--year", "2026")
    assert rows(data, "SELECT * FROM calendar_overrides") == []
    assert rows(data, "SELECT * FROM calendar_years") == []


def test_calendar_load_a_file_that_is_not_utf8_is_refused(data: Path, tmp_path: Path) -> None:
    # What a spreadsheet program on a Chinese-locale Windows saves as "CSV": GBK, not UTF-8.
    gbk = tmp_path / "2027.csv"
    gbk.write_bytes(SCHEDULE_2027.encode("gbk"))
    assert "UTF-8" in refused(data, "calendar", "load", str(gbk), "--year", "2027")
    assert rows(data, "SELECT * FROM calendar_overrides") == []


# --- routing overrides -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "region", "unit", "needle"),
    [
        ("NO-SUCH-ITEM", "510107", "HRSS-CITY", "NO-SUCH-ITEM"),
        ("SS-CARD-APPLY", "510107", "NO-SUCH-UNIT", "NO-SUCH-UNIT"),
        ("SS-CARD-APPLY", "5101", "HRSS-CITY", "5101"),
        ("SS-CARD-APPLY", "all", "HRSS-CITY", "all"),
    ],
    ids=["item", "unit", "short-region", "word-region"],
)
def test_route_override_refusals(
    data: Path, item: str, region: str, unit: str, needle: str
) -> None:
    assert needle in refused(data, "route", "override", item, region, unit)
    assert rows(data, "SELECT * FROM region_overrides") == []


def test_route_override(data: Path) -> None:
    ok(data, "route", "override", "SS-CARD-APPLY", "510107", "HRSS-CITY")
    ok(data, "route", "override", "SS-CARD-APPLY", "*", "HRSS-510104")
    ok(data, "route", "override", "SS-CARD-APPLY", "510107", "HRSS-510121")
    overrides = rows(data, "SELECT item, region, unit FROM region_overrides ORDER BY region")
    assert overrides == [
        {"item": "SS-CARD-APPLY", "region": "*", "unit": "HRSS-510104"},
        {"item": "SS-CARD-APPLY", "region": "510107", "unit": "HRSS-510121"},
    ]


# --- protocol and help -------------------------------------------------------------------------


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "version" in result.stdout


def test_protocol(tmp_path: Path) -> None:
    body = as_json(ok(tmp_path / "unused", "protocol"))
    assert body["protocol_version"] == 1
    assert "application.create" in body["uplink"] and "catalogue.updated" in body["downlink"]
    assert not (tmp_path / "unused").exists()


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


COMMANDS = list(_commands(cli))


def test_the_interface_scripts_rely_on_is_there() -> None:
    expected = {
        ("init",),
        ("serve",),
        ("protocol",),
        ("sweep",),
        ("enroll",),
        ("outlet",),
        ("outlet", "add"),
        ("outlet", "list"),
        ("device",),
        ("device", "list"),
        ("device", "revoke"),
        ("user",),
        ("user", "add"),
        ("user", "list"),
        ("catalogue",),
        ("catalogue", "export"),
        ("catalogue", "import"),
        ("route",),
        ("route", "override"),
        ("calendar",),
        ("calendar", "load"),
    }
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "daiban-hub")
def test_every_command_has_help(tmp_path: Path, path: tuple[str, ...]) -> None:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(cli, ["--data", str(tmp_path / "x"), *path, flag])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage: ")
        assert " ".join((command.help or "").split()[:6]) in " ".join(result.stdout.split())
    assert not (tmp_path / "x").exists()
