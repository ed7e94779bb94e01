"""Every record kind: valid ones round-trip, invalid ones name the field to blame."""

from __future__ import annotations

from typing import get_args

import msgspec
import pytest

from sync import records as r
from sync.catalogue import CatalogueItem, MaterialSpec, unit_for
from sync.codec import canonical, field_from_error
from tests import factories

UPLINK = msgspec.json.Decoder(r.UplinkRecord)
DOWNLINK = msgspec.json.Decoder(r.DownlinkRecord)


@pytest.fixture
def app(rng, hub_sealing_key):
    return factories.application(rng, hub_sealing_key.public_key(), mail=True)


def roundtrip(record, decoder=UPLINK):
    data = canonical(record)
    again = decoder.decode(data)
    assert again == record
    assert canonical(again) == data
    return data


def test_each_uplink_kind_round_trips(rng, app):
    for record in (
        app,
        factories.application(rng, app.applicant and _hub_pub(), mail=False),
        factories.amend(rng, app.id),
        factories.pickup(rng, app.id),
        factories.rating(rng, app.id, level="very_dissatisfied"),
    ):
        data = roundtrip(record)
        assert msgspec.json.decode(data)["kind"] == record.__struct_config__.tag


def _hub_pub():
    from cryptography.hazmat.primitives.asymmetric import x25519

    return x25519.X25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()


def downlinks(app_id: str) -> list[r.DownlinkRecord]:
    rid = "0190e0a0-0000-7000-8000-000000000001"
    item = CatalogueItem(
        code="SS-CARD-ACT",
        name="社保卡启用",
        department="HRSS",
        promised_days=3,
        legal_days=20,
        materials=(MaterialSpec(code="ID-CARD", name="居民身份证"),),
        unit_by_region={"*": "HRSS-CITY", "510107": "HRSS-WUHOU"},
    )
    return [
        r.StatusChanged(
            id=rid,
            application=app_id,
            status="accepted",
            version=2,
            at=factories.T0,
            unit="HRSS-WUHOU",
            due_date="2026-10-09",
        ),
        r.SupplementRequested(
            id=rid,
            application=app_id,
            version=3,
            at=factories.T0,
            unit="HRSS-WUHOU",
            materials=("PHOTO",),
            message="请补交一寸照片",
        ),
        r.ShipmentEvent(
            id=rid,
            application=app_id,
            carrier="EMS",
            tracking="EA123456785CN",
            event="delivered",
            at=factories.T0,
            location="成都武侯",
        ),
        r.CatalogueUpdated(id=rid, version=4, items=(item,), units={"HRSS-WUHOU": "武侯区人社局"}),
        r.RecordRejected(
            id=rid,
            record=app_id,
            record_kind="application.create",
            batch=None,
            at=factories.T0,
            reasons=(r.Reason(code="item.unknown", field="item", message="no such item"),),
        ),
    ]


def test_each_downlink_kind_round_trips(app):
    kinds = []
    for record in downlinks(app.id):
        kinds.append(msgspec.json.decode(roundtrip(record, DOWNLINK))["kind"])
    assert tuple(kinds) == r.DOWNLINK_KINDS


def test_every_status_and_rating_level_is_accepted(app):
    statuses: tuple[r.Status, ...] = get_args(r.Status)
    for status in statuses:
        roundtrip(
            r.StatusChanged(
                id=app.id, application=app.id, status=status, version=1, at=factories.T0
            ),
            DOWNLINK,
        )
    assert set(r.RATING_LABELS) == set(r.RATING_LEVELS)
    assert r.RATING_LABELS["very_dissatisfied"] == "非常不满意"
    assert r.BAD_RATINGS == {"dissatisfied", "very_dissatisfied"}


def mutate(record: msgspec.Struct, path: list[str | int], value: object) -> bytes:
    data = msgspec.json.decode(canonical(record))
    target = data
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return msgspec.json.encode(data)


BAD_CREATE = [
    (["id"], "not-a-uuid", "$.id"),
    (["id"], "0190e0a0-0000-4000-8000-000000000001", "$.id"),  # v4, not v7
    (["receipt"], "2229-000042-Q", "$.receipt"),  # wrong check character
    (["region"], "51010", "$.region"),
    (["item"], "", "$.item"),
    (["captured_at"], 12, "$.captured_at"),
    (
        ["applicant", "masked", "id_number"],
        "11010519491231002X",
        "$.applicant.masked.id_number",
    ),
    (["applicant", "masked", "name"], "张三", "$.applicant.masked.name"),
    (["applicant", "sealed"], "s1.short", "$.applicant.sealed"),
    (["applicant", "id_type"], "driving_licence", "$.applicant.id_type"),
    (["delivery", "method"], "drone", "$.delivery.method"),
    (["delivery", "masked"], "四川省成都市武侯区人民南路1号", "$.delivery.masked"),
    (["materials", 0, "scans", 0, "sha256"], "XYZ", "$.materials[0].scans[0].sha256"),
    (["materials", 0, "scans", 0, "size"], 0, "$.materials[0].scans[0].size"),
    (["note"], "x" * 2001, "$.note"),
    (["surprise"], 1, "$.surprise"),
    (["kind"], "application.delete", "$.kind"),
    (["delivery"], KeyError, "$.delivery"),
]


@pytest.mark.parametrize(("path", "value", "where"), BAD_CREATE, ids=lambda x: str(x)[:30])
def test_invalid_create_fields_are_named(app, path, value, where):
    with pytest.raises(msgspec.ValidationError) as caught:
        UPLINK.decode(mutate(app, path, value))
    # Exactly the field: each struct's own checks name fields relative to it.
    assert field_from_error(str(caught.value)) == where


def test_material_cannot_be_both_provided_and_promised(app):
    data = mutate(app, ["promised"], [app.materials[0].code])
    with pytest.raises(msgspec.ValidationError, match="both provided and promised"):
        UPLINK.decode(data)


def test_amend_rules(rng, app):
    amend = factories.amend(rng, app.id)
    with pytest.raises(msgspec.ValidationError, match="at least one material"):
        UPLINK.decode(mutate(amend, ["materials"], []))
    with pytest.raises(msgspec.ValidationError, match="base_version"):
        UPLINK.decode(mutate(amend, ["base_version"], 0))


def test_pickup_needs_a_checked_id_and_a_recorded_proxy(rng, app):
    pickup = factories.pickup(rng, app.id)
    with pytest.raises(msgspec.ValidationError, match="ID must be checked"):
        UPLINK.decode(mutate(pickup, ["id_checked"], False))
    with pytest.raises(msgspec.ValidationError, match="proxy"):
        UPLINK.decode(mutate(pickup, ["collector"], "proxy"))


def test_rating_level_must_be_one_of_five(rng, app):
    rating = factories.rating(rng, app.id)
    with pytest.raises(msgspec.ValidationError, match=r"\$.level"):
        UPLINK.decode(mutate(rating, ["level"], "meh"))


def test_shipment_event_tracking_number_is_checked(app):
    event = downlinks(app.id)[2]
    with pytest.raises(msgspec.ValidationError, match="check digit"):
        DOWNLINK.decode(mutate(event, ["tracking"], "EA123456784CN"))
    with pytest.raises(msgspec.ValidationError, match="normalised"):
        DOWNLINK.decode(mutate(event, ["tracking"], "ea123456785cn"))


def test_catalogue_item_rules_and_routing():
    spec = MaterialSpec(code="A", name="a")
    with pytest.raises(ValueError, match="repeat"):
        CatalogueItem(
            code="X",
            name="x",
            department="D",
            promised_days=1,
            legal_days=2,
            materials=(spec, spec),
        )
    with pytest.raises(ValueError, match="exceeds"):
        CatalogueItem(code="X", name="x", department="D", promised_days=5, legal_days=2)
    item = CatalogueItem(
        code="X",
        name="x",
        department="D",
        promised_days=1,
        legal_days=2,
        unit_by_region={"*": "CITY", "510100": "CHENGDU", "510107": "WUHOU"},
    )
    assert unit_for(item, "510107") == "WUHOU"
    assert unit_for(item, "510104") == "CHENGDU"  # prefecture fallback
    assert unit_for(item, "440305") == "CITY"
    bare = CatalogueItem(code="X", name="x", department="D", promised_days=1, legal_days=2)
    assert unit_for(bare, "510107") is None


def test_a_page_framed_from_stored_bodies_is_the_page_framed_from_records(app):
    from sync.codec import decode_frame
    from sync.replies import FeedPage, decode_page, encode_page, encode_raw_page

    records = tuple(downlinks(app.id))
    page = FeedPage(
        v=1,
        outlet="PO-1",
        cursor=3,
        next_cursor=9,
        more=True,
        records=records,
        hub_time=factories.T0,
    )
    raw = encode_raw_page(
        outlet="PO-1",
        cursor=3,
        next_cursor=9,
        more=True,
        bodies=[canonical(x).decode("utf-8") for x in records],
        hub_time=factories.T0,
    )
    # The same payload (and so digest); deflate bytes may differ with the compression level.
    assert decode_frame(raw) == decode_frame(encode_page(page))
    assert decode_page(raw) == page
