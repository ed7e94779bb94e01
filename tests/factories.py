"""Typical records for tests and benchmarks, built through the real sealing code."""

from __future__ import annotations

import hashlib
import random

from cryptography.hazmat.primitives.asymmetric import x25519
from stdnum.iso7064 import mod_11_2

from sync import records as r
from sync.ids import device_tag, receipt_number, uuid7
from sync.masking import mask_address, mask_id_number, mask_name, mask_phone
from sync.sealing import Address, Applicant, seal_address, seal_applicant

T0 = 1_790_000_000_000  # 2026-09-21, Unix ms

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英"
STREETS = ["人民路", "建设路", "解放街", "和平村3组", "新华巷", "幸福大道", "东风路"]
ITEMS = ["SS-CARD-ACT", "MI-PAY", "TP-FINE", "HR-CERT", "CA-SUBSIDY"]


def resident_id(rng: random.Random) -> str:
    """A valid 18-character ID number with a real division and birth date."""
    division = rng.choice(["510107", "510104", "110105", "440305", "420102"])
    born = f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{division}{born}{rng.randint(0, 999):03d}"
    return body + mod_11_2.calc_check_digit(body)


def applicant(rng: random.Random) -> Applicant:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    phone = f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
    return Applicant(name=name, id_number=resident_id(rng), phone=phone)


def record_id(rng: random.Random, ms: int) -> str:
    return uuid7(ms, rng.randbytes(10))


def application(
    rng: random.Random,
    hub_key: x25519.X25519PublicKey,
    *,
    seq: int = 1,
    ms: int = T0,
    outlet: str = "PO-510107-01",
    mail: bool | None = None,
) -> r.ApplicationCreate:
    """A typical application: sealed applicant, two or three scanned materials, maybe mailed."""
    rid = record_id(rng, ms)
    person = applicant(rng)
    masked = r.MaskedApplicant(
        name=mask_name(person.name),
        id_number=mask_id_number(person.id_number),
        phone=mask_phone(person.phone),
    )
    mail = rng.random() < 0.5 if mail is None else mail
    if mail:
        street = f"四川省成都市武侯区{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        where = Address(
            recipient=person.name, phone=person.phone, address=street, postcode="610041"
        )
        delivery: r.Delivery = r.Mail(
            sealed=seal_address(where, hub_key, record_id=rid), masked=mask_address(street)
        )
    else:
        delivery = r.Pickup()
    materials = tuple(
        r.MaterialProvided(
            code=code,
            scans=(
                r.Scan(
                    sha256=hashlib.sha256(f"{rid}/{code}".encode()).hexdigest(),
                    size=rng.randint(80_000, 400_000),
                    media_type="image/jpeg",
                ),
            ),
        )
        for code in ("ID-CARD", "FORM", "HOUSEHOLD")[: rng.randint(2, 3)]
    )
    return r.ApplicationCreate(
        id=rid,
        receipt=receipt_number(device_tag(7), seq),
        outlet=outlet,
        staff="runner-0042",
        item=rng.choice(ITEMS),
        region="510107",
        captured_at=ms,
        applicant=r.SealedApplicant(
            id_type="resident_id",
            sealed=seal_applicant(person, hub_key, record_id=rid),
            masked=masked,
        ),
        materials=materials,
        promised=("PHOTO",) if rng.random() < 0.3 else (),
        delivery=delivery,
        note=rng.choice(["", "", "老人行动不便，上门代办", "需加急，申请人下月外出务工"]),
    )


def amend(rng: random.Random, application_id: str, *, ms: int = T0 + 60_000) -> r.ApplicationAmend:
    return r.ApplicationAmend(
        id=record_id(rng, ms),
        application=application_id,
        base_version=2,
        reason="supplement",
        staff="clerk-01",
        captured_at=ms,
        materials=(r.MaterialProvided(code="PHOTO"),),
        note="补交照片",
    )


def pickup(rng: random.Random, application_id: str, *, ms: int = T0 + 120_000) -> r.PickupConfirm:
    return r.PickupConfirm(
        id=record_id(rng, ms),
        application=application_id,
        staff="clerk-01",
        at=ms,
        collector="applicant",
        id_checked=True,
    )


def rating(
    rng: random.Random, application_id: str, *, level: r.RatingLevel = "satisfied"
) -> r.RatingCreate:
    return r.RatingCreate(
        id=record_id(rng, T0 + 180_000),
        application=application_id,
        staff="clerk-01",
        at=T0 + 180_000,
        level=level,
        comment="办事效率高",
    )


def catalogue_application(
    rng: random.Random,
    hub_key: x25519.X25519PublicKey,
    item: object,
    *,
    tag: str,
    seq: int,
    outlet: str,
    ms: int,
    region: str = "510107",
    mail: bool = False,
    promise: bool = True,
    scans: bool = True,
) -> r.ApplicationCreate:
    """A valid application for a catalogue item: every required material, promisable ones
    promised when ``promise``; each provided material with one scan."""
    from sync.catalogue import CatalogueItem

    assert isinstance(item, CatalogueItem)
    base = application(rng, hub_key, seq=seq, ms=ms, outlet=outlet, mail=mail)
    promised = tuple(m.code for m in item.materials if m.required and m.may_promise and promise)
    provided = tuple(
        r.MaterialProvided(
            code=m.code,
            scans=(
                (
                    r.Scan(
                        sha256=hashlib.sha256(scan_bytes(base.id, m.code)).hexdigest(),
                        size=len(scan_bytes(base.id, m.code)),
                        media_type="image/jpeg",
                    ),
                )
                if scans
                else ()
            ),
        )
        for m in item.materials
        if m.required and m.code not in promised
    )
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    fields.update(
        receipt=receipt_number(tag, seq),
        item=item.code,
        region=region,
        materials=provided,
        promised=promised,
    )
    return r.ApplicationCreate(**fields)


def scan_bytes(record_id: str, material: str, size: int = 3000) -> bytes:
    """Deterministic stand-in for a scanned page of ``material`` of one application."""
    seed = hashlib.sha256(f"{record_id}/{material}".encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]
