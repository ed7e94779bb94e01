"""``daiban-hub`` commands an operator looks for after set-up: list and remove routing
overrides, disable (and enable) a user or give them a new token, remove a carrier. Each is
audited; bad input is one clean line with exit 1 and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.hub.test_cli import as_json, ok, refused, rows, snapshot
from tests.hub.test_e2e_sync import act, apps_for, enrolled
from tests.hub.web.test_pages import signed_in
from tests.support.served import ServedHub


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "hub"
    ok(folder, "init")
    return folder


def audit(data: Path) -> list[tuple[str, str, str]]:
    return [
        (r["user"], r["action"], r["detail"])
        for r in rows(data, "SELECT user, action, detail FROM audit_log ORDER BY id")
    ]


# --- routing overrides -------------------------------------------------------------------------


def test_route_overrides_are_listed_and_removed(data: Path) -> None:
    assert as_json(ok(data, "route", "list", "--json")) == []
    assert ok(data, "route", "list").stdout.strip() == "no overrides"
    ok(data, "route", "override", "SS-CARD-APPLY", "510112", "HRSS-510107")
    ok(data, "route", "override", "SS-CARD-ACT", "*", "HRSS-510107", "--json")
    assert as_json(ok(data, "route", "list", "--json")) == [
        {"item": "SS-CARD-ACT", "region": "*", "unit": "HRSS-510107"},
        {"item": "SS-CARD-APPLY", "region": "510112", "unit": "HRSS-510107"},
    ]
    assert "SS-CARD-APPLY\t510112\tHRSS-510107" in ok(data, "route", "list").stdout

    before = snapshot(data)
    assert "no override for SS-CARD-APPLY from 510107" in refused(
        data, "route", "remove", "SS-CARD-APPLY", "510107"
    )
    assert "6-digit" in refused(data, "route", "remove", "SS-CARD-APPLY", "5101")
    assert "no item NOPE" in refused(data, "route", "override", "NOPE", "*", "HRSS-510107")
    assert "no department unit" in refused(data, "route", "override", "SS-CARD-ACT", "*", "X")
    assert snapshot(data) == before

    removed = as_json(ok(data, "route", "remove", "SS-CARD-APPLY", "510112", "--json"))
    assert removed == {
        "ok": True,
        "item": "SS-CARD-APPLY",
        "region": "510112",
        "unit": "HRSS-510107",
    }
    assert [r["item"] for r in as_json(ok(data, "route", "list", "--json"))] == ["SS-CARD-ACT"]
    assert audit(data) == [
        ("cli", "route_override", "SS-CARD-APPLY 510112 -> HRSS-510107"),
        ("cli", "route_override", "SS-CARD-ACT * -> HRSS-510107"),
        ("cli", "route_override_removed", "SS-CARD-APPLY 510112 -> HRSS-510107"),
    ]


# --- users -------------------------------------------------------------------------------------


def test_disabling_a_user_ends_their_token_and_their_page_session(hub: ServedHub) -> None:
    data = hub.data
    pages = signed_in(hub, "ops", "operator")  # signed in to the pages, with PASSWORD
    assert pages.get(f"{hub.url}/dashboard", timeout=10).url.endswith("/dashboard")
    token = as_json(ok(data, "user", "token", "ops", "--json"))["token"]
    api = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{hub.url}/api/v1/applications", headers=api, timeout=10).ok

    assert "no user nobody" in refused(data, "user", "disable", "nobody")
    assert "no user nobody" in refused(data, "user", "token", "nobody")
    assert "is not disabled" in refused(data, "user", "enable", "ops")
    assert [a for _, a, _ in audit(data)] == ["user_token_rotated"]  # the refusals changed nothing

    assert as_json(ok(data, "user", "disable", "ops", "--json")) == {
        "ok": True,
        "name": "ops",
        "disabled": True,
    }
    answer = requests.get(f"{hub.url}/api/v1/applications", headers=api, timeout=10)
    assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"
    page = pages.get(f"{hub.url}/dashboard", timeout=10)
    assert page.url.split("?")[0].endswith("/signin"), page.url  # the session ended
    assert "already disabled" in refused(data, "user", "disable", "ops")
    assert "is disabled" in refused(data, "user", "token", "ops")
    assert "ops\toperator\t\tDISABLED" in ok(data, "user", "list").stdout
    assert [u["disabled"] for u in as_json(ok(data, "user", "list", "--json"))] == [1]

    ok(data, "user", "enable", "ops")
    assert requests.get(f"{hub.url}/api/v1/applications", headers=api, timeout=10).ok
    fresh = as_json(ok(data, "user", "token", "ops", "--json"))["token"]
    assert fresh != token and fresh.startswith("dbt_")
    old = requests.get(f"{hub.url}/api/v1/applications", headers=api, timeout=10)
    assert old.status_code == 401  # the old token stopped working at once
    new = {"Authorization": f"Bearer {fresh}"}
    assert requests.get(f"{hub.url}/api/v1/applications", headers=new, timeout=10).ok
    assert [a for _, a, _ in audit(data)] == [
        "user_token_rotated",
        "user_disabled",
        "user_enabled",
        "user_token_rotated",
    ]
    assert {(u, d) for u, _, d in audit(data)} == {("cli", "ops")}


# --- carriers ----------------------------------------------------------------------------------


def test_a_carrier_never_used_is_removed(data: Path) -> None:
    ok(data, "carrier", "add", "SF", "--name", "顺丰速运")
    assert "no carrier ZTO" in refused(data, "carrier", "remove", "ZTO")
    assert as_json(ok(data, "carrier", "remove", "sf", "--json")) == {
        "ok": True,
        "code": "SF",
        "outcome": "removed",
    }
    assert as_json(ok(data, "carrier", "list", "--json")) == []
    assert audit(data) == [("cli", "carrier_removed", "SF")]


def test_a_carrier_with_a_parcel_in_the_post_is_not_removed(hub: ServedHub) -> None:
    """Nothing a citizen is waiting for may lose its carrier: while a shipment is in the post
    the carrier stays (its events must still be accepted); once it is delivered the carrier
    is disabled, not deleted, as its past shipments name it."""
    data = hub.data
    device = enrolled(hub)
    app = apps_for(device, 1, mail=True)[0]
    device.push([app])
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {hub.user('wang', 'officer', 'HRSS-510107')}"
    ok(data, "carrier", "add", "EMS", "--name", "中国邮政EMS")
    for action in ("accept", "approve"):
        assert act(hub, api, app.id, action).status_code == 200
    posted = act(hub, api, app.id, "issue_result", carrier="EMS", tracking="EA123456785CN")
    assert posted.status_code == 200, posted.text

    message = refused(data, "carrier", "remove", "EMS")
    assert "1 shipment(s) still in the post" in message
    assert as_json(ok(data, "carrier", "list", "--json"))[0]["disabled"] == 0  # nothing changed
    assert [a for _, a, _ in audit(data) if a.startswith("carrier")] == []

    hub.clock.advance(seconds=3600)
    ok(data, "shipment", "event", "EMS", "EA123456785CN", "delivered", "--at", _now_iso(hub))
    done = as_json(ok(data, "carrier", "remove", "EMS", "--json"))
    assert done["outcome"] == "disabled"
    assert "DISABLED" in ok(data, "carrier", "list").stdout
    assert "already disabled" in refused(data, "carrier", "remove", "EMS")
    # Its webhook is refused now.
    pushed = requests.post(f"{hub.url}/api/v1/carriers/EMS/events", json={}, timeout=10)
    assert pushed.status_code in (401, 404), pushed.text
    assert [a for _, a, _ in audit(data) if a.startswith("carrier")] == ["carrier_disabled"]
    # And no new parcel goes out with it: its events could never be accepted.
    second = apps_for(device, 1, mail=True)[0]
    device.push([second])
    for action in ("accept", "approve"):
        assert act(hub, api, second.id, action).status_code == 200
    again = act(hub, api, second.id, "issue_result", carrier="EMS", tracking="EA000000014CN")
    assert again.status_code == 400, again.text
    assert (again.json()["code"], again.json()["field"]) == ("carrier_disabled", "carrier")


def _now_iso(hub: ServedHub) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(hub.clock() / 1000, UTC).astimezone().isoformat()
