"""Time limits at the hub: overdue sweeps, provisional due dates, the calendar alarm."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from flask import Flask

from hub.context import NoCatalogue
from hub.store import open_db, write
from hub.sweep import run_sweep
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
