"""``daiban-hub`` commands for delivery, follow-ups and statistics, in-process with CliRunner:
what they do, and that bad input is one clean line with exit 1 and nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from hub import store
from hub.store import open_db
from tests.hub.test_cli import as_json, ok, refused, snapshot
from tests.hub.test_e2e_sync import act, apps_for, enrolled
from tests.support.served import Clock, served_hub

# Monday 2026-11-23, 10:00 in China.
NOV_23 = int(datetime(2026, 11, 23, 2, 0, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "hub"
    ok(folder, "init")
    return folder


def test_carriers_are_added_once_with_a_secret_shown_once(data):
    added = as_json(ok(data, "carrier", "add", "ems", "--name", "中国邮政EMS", "--json"))
    assert added["code"] == "EMS" and added["secret"].startswith("whsec_")
    listed = as_json(ok(data, "carrier", "list", "--json"))
    assert [c["code"] for c in listed] == ["EMS"] and "secret" not in listed[0]
    assert "already exists" in refused(data, "carrier", "add", "EMS", "--name", "x")
    assert "not a carrier code" in refused(data, "carrier", "add", "E MS!", "--name", "x")
    rotated = as_json(ok(data, "carrier", "rotate", "EMS", "--json"))
    assert rotated["secret"] != added["secret"]
    assert "no carrier" in refused(data, "carrier", "rotate", "SF")


def test_followup_days_per_city(data):
    ok(data, "followup-days", "10", "--city", "510100")
    assert as_json(ok(data, "followup-days", "--json")) == [{"city": "510100", "followup_days": 10}]
    before = snapshot(data)
    assert "--city" in refused(data, "followup-days", "10", "--city", "510107")
    assert "--city" in refused(data, "followup-days", "10")
    refused(data, "followup-days", "99", "--city", "510100", exit_code=2)
    assert snapshot(data) == before


def test_shipments_by_hand_from_the_command_line(tmp_path):
    clock = Clock(NOV_23)
    with served_hub(tmp_path / "hub", clock) as hub:
        hub.outlet("PO-WUHOU-01", region="510107")
        device = enrolled(hub)
        app = apps_for(device, 1, mail=True)[0]
        device.push([app])
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {hub.user('wang', 'officer', 'HRSS-510107')}"
        for action in ("accept", "approve", "issue_result"):
            assert act(hub, api, app.id, action).status_code == 200
        data = hub.data

        ok(data, "carrier", "add", "EMS", "--name", "中国邮政EMS")
        assert "no carrier SF" in refused(
            data, "shipment", "post", app.receipt, "--carrier", "SF", "--tracking", "EA123456785CN"
        )
        assert "check digit" in refused(
            data, "shipment", "post", app.receipt, "--carrier", "EMS", "--tracking", "EA123456784CN"
        )
        assert "no application" in refused(
            data, "shipment", "post", "nope", "--carrier", "EMS", "--tracking", "EA123456785CN"
        )
        db = hub.db()
        assert [s["state"] for s in store.shipments.application_shipments(db, app.id)] == [
            "pending"
        ]
        db.close()
        at = datetime.fromtimestamp(clock() / 1000, UTC).astimezone()
        posted = as_json(
            ok(
                data,
                "shipment",
                "post",
                app.receipt,
                "--carrier",
                "EMS",
                "--tracking",
                "EA123456785CN",
                "--at",
                at.isoformat(),
                "--json",
            )
        )
        assert posted["state"] == "open"
        later = (at + timedelta(minutes=5)).isoformat()
        out = ok(
            data,
            "shipment",
            "event",
            "EMS",
            "EA123456785CN",
            "in_transit",
            "--at",
            later,
            "--location",
            "成都邮区中心局",
            "--json",
        )
        assert as_json(out)["outcome"] == "stored"
        again = ok(
            data,
            "shipment",
            "event",
            "EMS",
            "EA123456785CN",
            "in_transit",
            "--at",
            later,
            "--location",
            "成都邮区中心局",
            "--json",
        )
        assert as_json(again)["outcome"] == "duplicate"
        assert "no shipment" in refused(
            data, "shipment", "event", "EMS", "EA000000014CN", "delivered", "--at", later
        )
        assert "ISO 8601" in refused(
            data, "shipment", "event", "EMS", "EA123456785CN", "delivered", "--at", "yesterday"
        )
        listed = as_json(ok(data, "shipment", "list", "--json"))
        assert [(s["tracking"], s["last_event"]) for s in listed] == [
            ("EA123456785CN", "in_transit")
        ]
        assert "address_sealed" not in listed[0]

        db = hub.db()
        assert store.ratings.list_followups(db) == []
        db.close()
        assert "no open follow-ups" in ok(data, "followup", "list").output
        assert "no follow-up" in refused(data, "followup", "resolve", "7", "--note", "done")
        assert "no rating" in refused(data, "rating", "exclude", "x", "--reason", "spam")

        report = as_json(ok(data, "stats", "--by", "unit", "--json"))
        assert report["rows"][0]["key"] == "HRSS-510107"
        assert report["rows"][0]["mailed"] == 1
        csv_text = ok(data, "stats", "--by", "outlet", "--csv").output
        assert csv_text.splitlines()[0].startswith("outlet,name,received")
        assert "from" in refused(data, "stats", "--from", "2026-13-01")


def test_a_hub_without_a_catalogue_is_refused_in_one_line(tmp_path):
    data = tmp_path / "hub"
    data.mkdir()
    open_db(data / "hub.db").close()  # a database, but `init` never published a catalogue
    assert "no catalogue" in refused(data, "carrier", "list")
    assert "no catalogue" in refused(data, "route", "override", "SS-CARD-ACT", "*", "HRSS-CITY")
