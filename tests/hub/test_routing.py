"""Routing: the one rule (sync.catalogue.unit_for) that decides which department unit gets an
application, with the operators' region overrides; and the same rule at work when a device's
application arrives at a served hub (the override changes where it goes, and only where it
applies)."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest
import requests
from click.testing import CliRunner

from hub import routing
from hub.catalogue import SAMPLE_COUNTIES, sample_catalogue
from hub.cli import cli
from hub.setup import publish_catalogue
from hub.store import write
from sync.catalogue import CatalogueItem, region_levels, unit_for
from tests.hub.test_e2e_sync import apps_for, enrolled
from tests.support.served import ServedHub

CAT = sample_catalogue()

ITEM = CatalogueItem(
    code="X-ITEM",
    name="测试事项",
    department="D",
    promised_days=5,
    legal_days=10,
    unit_by_region={
        "510107": "D-WUHOU",  # a county
        "510100": "D-CHENGDU",  # a prefecture
        "510000": "D-SICHUAN",  # a province
        "*": "D-DEFAULT",
    },
)


# --- the rule ----------------------------------------------------------------------------------


def test_a_county_is_looked_up_as_itself_its_prefecture_its_province_then_the_default():
    assert region_levels("510107") == ("510107", "510100", "510000", "*")
    assert routing.region_levels is region_levels  # one definition


@pytest.mark.parametrize(
    ("region", "unit"),
    [
        ("510107", "D-WUHOU"),  # its own route
        ("510104", "D-CHENGDU"),  # no county route: the prefecture's
        ("511302", "D-SICHUAN"),  # another prefecture of the province
        ("440305", "D-DEFAULT"),  # another province
    ],
)
def test_the_most_specific_route_wins(region, unit):
    assert unit_for(ITEM, region) == unit
    assert routing.route(ITEM, region) == unit
    assert routing.route(ITEM, region, {}) == unit


def test_no_route_at_any_level_is_none_and_an_unknown_item_is_none():
    bare = msgspec.structs.replace(ITEM, unit_by_region={"510107": "D-WUHOU"})
    assert unit_for(bare, "510104") is None
    assert routing.route(bare, "510104", {("X-ITEM", "510107"): "D-OTHER"}) is None
    assert routing.route(None, "510107") is None
    assert routing.route(None, "510107", {("X-ITEM", "510107"): "D-OTHER"}) is None


@pytest.mark.parametrize(
    ("override", "region", "unit"),
    [
        # An override for a county beats the county's own route...
        (("X-ITEM", "510107"), "510107", "D-OVER"),
        # ...and applies to that county only.
        (("X-ITEM", "510107"), "510104", "D-CHENGDU"),
        # A prefecture's override beats the prefecture's route for a county without its own...
        (("X-ITEM", "510100"), "510104", "D-OVER"),
        # ...but never a county's own route, and not other prefectures.
        (("X-ITEM", "510100"), "510107", "D-WUHOU"),
        (("X-ITEM", "510100"), "511302", "D-SICHUAN"),
        # A province's, likewise.
        (("X-ITEM", "510000"), "511302", "D-OVER"),
        (("X-ITEM", "510000"), "510104", "D-CHENGDU"),
        (("X-ITEM", "510000"), "440305", "D-DEFAULT"),
        # The default's override beats the catalogue's default only.
        (("X-ITEM", "*"), "440305", "D-OVER"),
        (("X-ITEM", "*"), "511302", "D-SICHUAN"),
        # Another item's override changes nothing for this one.
        (("Y-ITEM", "510107"), "510107", "D-WUHOU"),
        (("Y-ITEM", "*"), "440305", "D-DEFAULT"),
    ],
)
def test_an_override_wins_at_its_own_level_only(override, region, unit):
    overrides = {override: "D-OVER"}
    assert unit_for(ITEM, region, overrides) == unit
    assert routing.route(ITEM, region, overrides) == unit


def test_an_override_routes_what_the_catalogue_cannot():
    bare = msgspec.structs.replace(ITEM, unit_by_region={"510107": "D-WUHOU"})
    assert routing.route(bare, "440305", {("X-ITEM", "*"): "D-OVER"}) == "D-OVER"
    assert routing.route(bare, "510104", {("X-ITEM", "510100"): "D-OVER"}) == "D-OVER"
    assert routing.route(bare, "510104", {("X-ITEM", "510107"): "D-OVER"}) is None


@pytest.mark.parametrize("county", sorted(SAMPLE_COUNTIES))
def test_the_hub_routes_every_sample_item_by_the_one_rule(county):
    overrides = {("SS-CARD-APPLY", county): "HRSS-CITY", ("MI-RES-PAY", "*"): "HSA-510106"}
    for item in CAT.items:
        assert routing.route(item, county) == unit_for(item, county), item.code
        assert routing.route(item, county, overrides) == unit_for(item, county, overrides)
    assert routing.route(CAT.item("SS-CARD-APPLY"), county, overrides) == "HRSS-CITY"


# --- at a served hub -----------------------------------------------------------------------------


def override(hub: ServedHub, item: str, region: str, unit: str) -> None:
    """What an operator types: ``daiban-hub --data DIR route override ITEM REGION UNIT``."""
    result = CliRunner().invoke(
        cli, ["--data", str(hub.data), "route", "override", item, region, unit]
    )
    assert result.exit_code == 0, (result.output, result.exception)


def officer(hub: ServedHub, name: str, unit: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {hub.user(name, 'officer', unit)}"
    return s


def queue_ids(hub: ServedHub, api: requests.Session) -> set[str]:
    answer = api.get(f"{hub.url}/api/v1/applications", timeout=10)
    assert answer.status_code == 200, answer.text
    return {a["id"] for a in answer.json()["applications"]}


def stored(hub: ServedHub, app_id: str) -> dict:
    db = hub.db()
    try:
        return next(db.query("SELECT unit, status FROM applications WHERE id = ?", [app_id]))
    finally:
        db.close()


def pushed(device, *, item: str = "SS-CARD-APPLY", region: str, seed: int):
    app = apps_for(device, 1, item=item, region=region, seed=seed)[0]
    result = device.push([app]).results[0]
    assert result.status == "accepted", result
    return app


def routed_units(device) -> dict[str, str | None]:
    """What the outlet is told: the unit each application went to (status.changed)."""
    records, _ = device.pull_all()
    return {
        r.application: r.unit
        for r in records
        if r.__struct_config__.tag == "status.changed" and r.version == 2
    }


def test_a_county_override_sends_that_countys_applications_elsewhere_and_no_others(hub):
    override(hub, "SS-CARD-APPLY", "510107", "HRSS-CITY")
    device = enrolled(hub)
    wuhou = pushed(device, region="510107", seed=1)  # overridden
    jinjiang = pushed(device, region="510104", seed=2)  # another county: its own route
    other_item = pushed(device, item="MI-RES-PAY", region="510107", seed=3)  # another item
    assert stored(hub, wuhou.id) == {"unit": "HRSS-CITY", "status": "routed"}
    assert stored(hub, jinjiang.id) == {"unit": "HRSS-510104", "status": "routed"}
    assert stored(hub, other_item.id) == {"unit": "HSA-CITY", "status": "routed"}
    assert routed_units(device) == {
        wuhou.id: "HRSS-CITY",
        jinjiang.id: "HRSS-510104",
        other_item.id: "HSA-CITY",
    }
    # The overriding unit's officers have it in their queue and act on it; the county's
    # unit, whose it would have been, does not see it.
    city, county = officer(hub, "city", "HRSS-CITY"), officer(hub, "county", "HRSS-510107")
    assert queue_ids(hub, city) == {wuhou.id}
    assert queue_ids(hub, county) == set()
    assert county.get(f"{hub.url}/api/v1/applications/{wuhou.id}", timeout=10).status_code == 404
    accepted = city.post(
        f"{hub.url}/api/v1/applications/{wuhou.id}/actions", json={"action": "accept"}, timeout=10
    )
    assert accepted.status_code == 200 and accepted.json()["application"]["unit"] == "HRSS-CITY"


def test_an_override_applies_from_the_next_application_on(hub):
    device = enrolled(hub)
    before = pushed(device, region="510107", seed=1)
    override(hub, "SS-CARD-APPLY", "510107", "HRSS-510121")
    after = pushed(device, region="510107", seed=2)
    assert stored(hub, before.id)["unit"] == "HRSS-510107"  # routed already: not moved
    assert stored(hub, after.id)["unit"] == "HRSS-510121"


def test_a_prefecture_override_beats_the_city_default_but_not_a_countys_own_route(hub):
    override(hub, "SS-CARD-APPLY", "510100", "HRSS-510112-JY")
    device = enrolled(hub)
    qingyang = pushed(device, region="510105", seed=1)  # no county route: the prefecture's
    wuhou = pushed(device, region="510107", seed=2)  # its own county route stands
    shenzhen = pushed(device, region="440305", seed=3)  # outside the prefecture: the default
    assert stored(hub, qingyang.id)["unit"] == "HRSS-510112-JY"
    assert stored(hub, wuhou.id)["unit"] == "HRSS-510107"
    assert stored(hub, shenzhen.id)["unit"] == "HRSS-CITY"
    jy = officer(hub, "jy", "HRSS-510112-JY")
    assert queue_ids(hub, jy) == {qingyang.id}


def test_a_default_override_routes_what_would_have_gone_to_triage(hub):
    # A catalogue where household registration has no city-wide unit: Shenzhen has no route.
    hj = CAT.department("HJ")
    assert hj is not None
    units = tuple(dataclasses.replace(u, regions=()) if "*" in u.regions else u for u in hj.units)
    departments = tuple(
        dataclasses.replace(d, units=units) if d.code == "HJ" else d for d in CAT.departments
    )
    items = tuple(
        msgspec.structs.replace(
            i, unit_by_region={k: v for k, v in i.unit_by_region.items() if k != "*"}
        )
        if i.department == "HJ"
        else i
        for i in CAT.items
    )
    db = hub.db()
    with write(db):
        publish_catalogue(
            db,
            dataclasses.replace(CAT, departments=departments, items=items),
            now=hub.clock(),
            by="test",
        )
    db.close()
    device = enrolled(hub)
    unrouted = pushed(device, item="HJ-RES-PERMIT", region="440305", seed=1)
    assert stored(hub, unrouted.id) == {"unit": None, "status": "triage"}
    override(hub, "HJ-RES-PERMIT", "*", "HJ-CITY")
    routed = pushed(device, item="HJ-RES-PERMIT", region="440305", seed=2)
    county = pushed(device, item="HJ-RES-PERMIT", region="510104", seed=3)
    assert stored(hub, routed.id) == {"unit": "HJ-CITY", "status": "routed"}
    assert stored(hub, county.id) == {"unit": "HJ-510104", "status": "routed"}
    assert routed_units(device) == {unrouted.id: None, routed.id: "HJ-CITY", county.id: "HJ-510104"}
