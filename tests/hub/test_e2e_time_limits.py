"""Time limits at the hub: overdue sweeps, provisional due dates, the calendar alarm."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import requests
from flask import Flask

from hub.context import NoCatalogue
from hub.store import open_db, write
from hub.sweep import run_sweep
from sync.records import ApplicationAmend, MaterialProvided
from tests import factories
from tests.hub.test_e2e_sync import act, apps_for, enrolled
from tests.support.served import Clock, served_hub


def china_ms(year: int, month: int, day: int, hour: int) -> int:
    china = dt.timezone(dt.timedelta(hours=8))
    return int(dt.datetime(year, month, day, hour, tzinfo=china).timestamp() * 1000)


def officer(hub, unit: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hub.user('officer-' + unit, 'officer', unit)}"
    return session


def test_the_sweep_marks_due_soon_then_overdue(tmp_path):
    clock = Clock(china_ms(2026, 11, 2, 9))  # Monday
    with served_hub(tmp_path / "hub", clock) as hub:
        hub.outlet("PO-1", region="510107")
        device = enrolled(hub, "PO-1")
        app = apps_for(device, 1)[0]  # SS-CARD-APPLY: 5 working days
        device.push([app])
        api = officer(hub, "HRSS-510107")
        accepted = act(hub, api, app.id, "accept").json()["application"]
        assert (accepted["due_date"], accepted["sla_state"]) == ("2026-11-09", "on_track")
        clock.ms = china_ms(2026, 11, 6, 9)  # Friday: one working day left
        run_sweep(hub.app)
        shown = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
        assert shown["application"]["sla_state"] == "due_soon"
        clock.ms = china_ms(2026, 11, 10, 9)
        run_sweep(hub.app)
        overdue = api.get(f"{hub.url}/api/v1/applications", params={"overdue": "1"}, timeout=10)
        assert [a["id"] for a in overdue.json()["applications"]] == [app.id]
        # Finishing late is recorded as late, not forgotten.
        act(hub, api, app.id, "approve")
        shown = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
        assert shown["application"]["sla_state"] == "late"


def test_a_due_date_in_an_unknown_year_is_provisional_until_the_year_is_loaded(tmp_path):
    clock = Clock(china_ms(2026, 12, 14, 9))
    with served_hub(tmp_path / "hub", clock) as hub:
        hub.outlet("TS-1", kind="township", region="510107")
        device = enrolled(hub, "TS-1")
        app = apps_for(device, 1, item="CA-DIBAO", seed=3)[0]  # 20 working days: into 2027
        device.push([app])
        api = officer(hub, "CA-CITY")
        accepted = act(hub, api, app.id, "accept").json()["application"]
        assert accepted["due_provisional"] is True and accepted["due_date"] >= "2027-01-01"
        records, _ = device.pull_all()
        last = [r for r in records if r.__struct_config__.tag == "status.changed"][-1]
        assert last.due_provisional is True
        admin = requests.Session()
        admin.headers["Authorization"] = f"Bearer {hub.user('root', 'admin')}"
        run_sweep(hub.app)
        alarms = admin.get(f"{hub.url}/api/v1/alarms", timeout=10).json()["alarms"]
        assert [a["key"] for a in alarms] == ["calendar.2027"]
        # The operator loads the 2027 schedule (here: New Year's Day only, for the test).
        from hub.setup import load_calendar

        db = hub.db()
        with write(db):
            load_calendar(db, "date,workday,name\n2027-01-01,0,元旦\n", year=2027, now=clock())
        db.close()
        run_sweep(hub.app)
        assert admin.get(f"{hub.url}/api/v1/alarms", timeout=10).json()["alarms"] == []
        firm = api.get(f"{hub.url}/api/v1/applications/{app.id}", timeout=10).json()
        assert firm["application"]["due_provisional"] is False
        # ...and the outlet is told the firm date.
        records, _ = device.pull_all()
        last = [r for r in records if r.__struct_config__.tag == "status.changed"][-1]
        assert (last.due_provisional, last.due_date) == (False, firm["application"]["due_date"])


def test_a_sweep_of_a_hub_without_a_catalogue_says_so(tmp_path):
    app = Flask(__name__)
    app.config["DATABASE"] = tmp_path / "hub.db"
    open_db(app.config["DATABASE"]).close()  # a database, but no catalogue was ever published
    with pytest.raises(NoCatalogue, match="no catalogue"):
        run_sweep(app)


def test_a_second_supplement_request_the_day_the_first_was_supplied_stops_the_clock(tmp_path):
    clock = Clock(china_ms(2026, 11, 2, 9))  # Monday
    with served_hub(tmp_path / "hub", clock) as hub:
        hub.outlet("PO-1", region="510107")
        device = enrolled(hub, "PO-1")
        app = apps_for(device, 1)[0]  # SS-CARD-APPLY: 5 working days
        device.push([app])
        api = officer(hub, "HRSS-510107")
        accepted = act(hub, api, app.id, "accept").json()["application"]
        assert accepted["due_date"] == "2026-11-09"

        def supplied(n: int) -> None:
            records, _ = device.pull_all()
            asked = [r for r in records if r.__struct_config__.tag == "supplement.requested"]
            assert len(asked) == n and asked[-1].unit == "HRSS-510107"
            amend = ApplicationAmend(
                id=factories.record_id(random.Random(n), clock()),
                application=app.id,
                base_version=asked[-1].version,
                reason="supplement",
                staff="clerk-01",
                captured_at=clock(),
                materials=(MaterialProvided(code="PHOTO"),),
            )
            assert device.push([amend]).results[0].status == "accepted"

        def shown() -> dict:
            url = f"{hub.url}/api/v1/applications/{app.id}"
            return api.get(url, timeout=10).json()["application"]

        clock.ms = china_ms(2026, 11, 3, 9)  # Tuesday: one working day used
        first = act(hub, api, app.id, "request_supplement", materials=["PHOTO"], message="照片")
        assert first.json()["application"]["sla_state"] == "paused"
        clock.ms = china_ms(2026, 11, 3, 10)
        supplied(1)
        assert (shown()["status"], shown()["due_date"]) == ("accepted", "2026-11-09")
        clock.ms = china_ms(2026, 11, 3, 11)  # the same day: asked again
        version = shown()["version"]
        body = {"materials": ["PHOTO"], "message": "照片不清晰", "version": version}
        second = act(hub, api, app.id, "request_supplement", **body)
        assert second.status_code == 200, second.text
        assert (shown()["status"], shown()["sla_state"], shown()["due_date"]) == (
            "supplement_requested",
            "paused",
            None,
        )
        # The same request sent again (its answer lost, say) changes nothing.
        resent = act(hub, api, app.id, "request_supplement", **body)
        assert (resent.status_code, resent.json()["code"]) == (409, "version_stale")
        db = hub.db()
        try:
            opened = db.execute(
                "SELECT COUNT(*) FROM sla_pauses WHERE application = ?", [app.id]
            ).fetchone()[0]
        finally:
            db.close()
        assert opened == 2
        clock.ms = china_ms(2026, 11, 6, 15)  # Friday: the clear photo arrives
        supplied(2)
        run_sweep(hub.app)
        # 4 days left after Friday: 9, 10, 11, 12 (11-09 had the clock run on while asked).
        assert (shown()["status"], shown()["due_date"]) == ("accepted", "2026-11-12")
        records, _ = device.pull_all()
        last = [r for r in records if r.__struct_config__.tag == "status.changed"][-1]
        assert (last.status, last.due_date) == ("accepted", "2026-11-12")
