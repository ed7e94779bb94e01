"""Batches: bounds, per-record leniency, digests, frames."""

from __future__ import annotations

import zlib

import msgspec
import pytest

from sync import codec
from sync.batch import (
    MAX_RECORDS,
    decode_batch,
    encode_batch,
    new_batch,
    plan_batches,
    record_digest,
)
from sync.errors import (
    DigestMismatch,
    InvalidValue,
    MalformedMessage,
    TooLarge,
    UnsupportedVersion,
)
from sync.ids import uuid7
from tests import factories

T0 = factories.T0


@pytest.fixture
def apps(rng, hub_sealing_key):
    return [factories.application(rng, hub_sealing_key.public_key(), seq=i + 1) for i in range(5)]


def batch_of(records, seq=1):
    return new_batch(
        device="dev-0001", batch_id=uuid7(T0, bytes(10)), seq=seq, sent_at=T0, records=records
    )


def raw_frame(envelope: dict) -> bytes:
    return codec.encode_frame(msgspec.json.encode(envelope), version=1)


def test_round_trip_keeps_records_and_order(apps):
    decoded = decode_batch(encode_batch(batch_of(apps)))
    assert decoded.records == tuple(apps)
    assert (decoded.device, decoded.seq, decoded.sent_at) == ("dev-0001", 1, T0)
    assert [e.id for e in decoded.entries] == [a.id for a in apps]
    assert [e.digest for e in decoded.entries] == [record_digest(a) for a in apps]


def test_same_records_give_the_same_bytes(apps):
    assert codec.canonical(batch_of(apps)) == codec.canonical(batch_of(list(apps)))
    assert (
        decode_batch(encode_batch(batch_of(apps))).digest
        == decode_batch(encode_batch(batch_of(apps))).digest
    )


def test_frame_is_compressed(apps):
    frame = encode_batch(batch_of(apps))
    assert len(frame) < len(codec.canonical(batch_of(apps))) * 0.6


def test_one_bad_record_does_not_block_the_others(apps):
    envelope = msgspec.json.decode(codec.canonical(batch_of(apps)))
    envelope["records"][2]["region"] = "bad"
    envelope["records"][3] = {"kind": "application.create", "id": 17}
    envelope["records"].append("not even an object")
    decoded = decode_batch(raw_frame(envelope))
    assert len(decoded.entries) == 6
    assert [e.index for e in decoded.errors] == [2, 3, 5]
    bad = decoded.errors[0]
    assert bad.id == apps[2].id and bad.kind == "application.create"
    assert isinstance(bad.error, InvalidValue)
    assert bad.error.field == "$.records[2].region"
    assert decoded.errors[1].id is None  # an id that is not a string is not echoed
    assert [r.id for r in decoded.records] == [apps[0].id, apps[1].id, apps[4].id]


def test_a_record_id_repeated_in_one_batch_is_refused_once(apps):
    decoded = decode_batch(encode_batch(batch_of([apps[0], apps[1], apps[0]])))
    assert [e.index for e in decoded.errors] == [2]
    error = decoded.errors[0].error
    assert error is not None and error.reason == "repeat"


def test_bounds_on_count(apps):
    with pytest.raises(TooLarge):
        batch_of(apps * (MAX_RECORDS // len(apps) + 1))
    with pytest.raises(InvalidValue):
        batch_of([])
    envelope = msgspec.json.decode(codec.canonical(batch_of(apps)))
    envelope["records"] = envelope["records"] * (MAX_RECORDS // 5 + 1)
    with pytest.raises(TooLarge):
        decode_batch(raw_frame(envelope))


def test_a_zip_bomb_is_refused_before_it_inflates():
    bomb = codec.MAGIC + bytes((1, 1)) + bytes(32) + zlib.compress(b" " * (40 * 1024 * 1024), 9)
    assert len(bomb) < 100_000
    with pytest.raises(TooLarge):
        decode_batch(bomb)


def test_envelope_errors_are_typed(apps):
    envelope = msgspec.json.decode(codec.canonical(batch_of(apps)))
    with pytest.raises(MalformedMessage, match="seq"):
        decode_batch(raw_frame(dict(envelope, seq=0)))
    with pytest.raises(UnsupportedVersion):
        decode_batch(raw_frame(dict(envelope, v=2)))
    frame = bytearray(encode_batch(batch_of(apps)))
    frame[10] ^= 0xFF  # inside the declared digest
    with pytest.raises(DigestMismatch):
        decode_batch(bytes(frame))


def test_plan_batches_respects_count_and_bytes(apps):
    groups = plan_batches(apps, max_records=2)
    assert [len(g) for g in groups] == [2, 2, 1]
    one = len(codec.canonical(apps[0]))
    groups = plan_batches(apps, max_bytes=one * 2 + 10)
    assert all(len(g) <= 2 for g in groups) and sum(map(len, groups)) == 5
    assert [r for g in groups for r in g] == apps  # order kept: oldest first
    assert plan_batches([]) == []
