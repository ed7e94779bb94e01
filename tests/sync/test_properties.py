"""Property tests: generated records round-trip; arbitrary bytes raise only protocol errors."""

from __future__ import annotations

import json
import random
import zlib

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric import x25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import codec, replies
from sync.batch import decode_batch, encode_batch, new_batch
from sync.errors import ProtocolError
from sync.ids import uuid7
from sync.records import ApplicationCreate
from tests import factories

HUB = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)


@st.composite
def applications(draw: st.DrawFn) -> ApplicationCreate:
    rng = random.Random(draw(st.integers(0, 2**32)))
    app = factories.application(rng, HUB, seq=draw(st.integers(1, 999_999_999)))
    return ApplicationCreate(
        **{
            **{f: getattr(app, f) for f in app.__struct_fields__},
            "note": draw(texts),
            "captured_at": draw(st.integers(631_152_000_000, 7_258_118_400_000)),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(applications(), min_size=1, max_size=8, unique_by=lambda a: a.id))
def test_generated_batches_round_trip(records):
    batch = new_batch(
        device="dev-0001",
        batch_id=uuid7(factories.T0, bytes(10)),
        seq=1,
        sent_at=factories.T0,
        records=records,
    )
    decoded = decode_batch(encode_batch(batch))
    assert decoded.records == tuple(records)
    assert not decoded.errors


@settings(max_examples=60, deadline=None)
@given(applications())
def test_canonical_bytes_are_rfc8785(record):
    data = codec.canonical(record)
    assert rfc8785.dumps(json.loads(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_only_protocol_errors(data):
    for decode in (decode_batch, replies.decode_ack, replies.decode_page):
        with pytest.raises(ProtocolError):
            decode(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_payloads_in_valid_frames_raise_only_protocol_errors(payload):
    frame = codec.encode_frame(payload, version=1)
    for decode in (decode_batch, replies.decode_ack, replies.decode_page):
        with pytest.raises(ProtocolError):
            decode(frame)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=5))
def test_arbitrary_json_records_are_reported_not_raised(values):
    envelope = {
        "v": 1,
        "device": "dev-0001",
        "batch": uuid7(factories.T0, bytes(10)),
        "seq": 1,
        "sent_at": factories.T0,
        "records": values,
    }
    frame = codec.encode_frame(json.dumps(envelope).encode(), version=1)
    decoded = decode_batch(frame)
    assert len(decoded.entries) == len(values)
    assert all(
        e.error is not None and (e.error.field or "").startswith("$.records[")
        for e in decoded.entries
    )


# Built once: sealing is randomised, and hypothesis needs the same input on every replay.
FRAME = encode_batch(
    new_batch(
        device="dev-0001",
        batch_id=uuid7(factories.T0, bytes(10)),
        seq=1,
        sent_at=factories.T0,
        records=[factories.application(random.Random(5), HUB)],
    )
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(FRAME) - 1), st.integers(0, 255), st.booleans())
def test_truncated_or_flipped_frames_raise_only_protocol_errors(position, flip, truncate):
    frame = bytearray(FRAME)
    if truncate:
        frame = frame[:position]
    else:
        frame[position] ^= flip or 0x01
    with pytest.raises(ProtocolError):
        decode_batch(bytes(frame))


def test_deflate_of_garbage_is_malformed():
    frame = codec.MAGIC + bytes((1, 1)) + bytes(32) + zlib.compress(b"x")[:-3]
    with pytest.raises(ProtocolError):
        decode_batch(frame)
