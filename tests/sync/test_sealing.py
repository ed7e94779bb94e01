"""Sealing personal data to the hub's key."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from sync import sealing
from sync.errors import InvalidValue, SealError
from sync.ids import uuid7

RID = uuid7(1_790_000_000_000, bytes(range(10)))
PERSON = sealing.Applicant(name="张三", id_number="11010519491231002X", phone="13812345678")
PLACE = sealing.Address(
    recipient="张三", phone="13812345678", address="四川省成都市武侯区人民南路1号"
)


def test_applicant_round_trip(hub_sealing_key):
    token = sealing.seal_applicant(PERSON, hub_sealing_key.public_key(), record_id=RID)
    assert token.startswith("s1.")
    assert "张三" not in token and "1101051949" not in token
    assert sealing.unseal_applicant(token, hub_sealing_key, record_id=RID) == PERSON


def test_address_round_trip(hub_sealing_key):
    token = sealing.seal_address(PLACE, hub_sealing_key.public_key(), record_id=RID)
    assert sealing.unseal_address(token, hub_sealing_key, record_id=RID) == PLACE


def test_each_seal_is_fresh(hub_sealing_key):
    one = sealing.seal_applicant(PERSON, hub_sealing_key.public_key(), record_id=RID)
    two = sealing.seal_applicant(PERSON, hub_sealing_key.public_key(), record_id=RID)
    assert one != two  # a fresh ephemeral key each time: equal inputs are not linkable


def test_wrong_key_cannot_unseal(hub_sealing_key):
    token = sealing.seal_applicant(PERSON, hub_sealing_key.public_key(), record_id=RID)
    with pytest.raises(SealError):
        sealing.unseal_applicant(token, x25519.X25519PrivateKey.generate(), record_id=RID)


def test_bound_to_record_and_purpose(hub_sealing_key):
    token = sealing.seal_applicant(PERSON, hub_sealing_key.public_key(), record_id=RID)
    other = uuid7(1_790_000_000_001, bytes(range(10)))
    with pytest.raises(SealError):
        sealing.unseal_applicant(token, hub_sealing_key, record_id=other)
    with pytest.raises(SealError):  # an applicant blob pasted into the address field
        sealing.unseal_address(token, hub_sealing_key, record_id=RID)


def test_every_flipped_byte_is_detected(hub_sealing_key):
    token = sealing.seal(b"x" * 20, hub_sealing_key.public_key(), record_id=RID, purpose="p")
    blob = base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4))
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x80
        bad_token = "s1." + base64.urlsafe_b64encode(bytes(bad)).rstrip(b"=").decode()
        with pytest.raises(SealError):
            sealing.unseal(bad_token, hub_sealing_key, record_id=RID, purpose="p")


@pytest.mark.parametrize("token", ["", "s2.AAAA", "s1.!!!!", "s1.AAAA", 42, "s1." + "A" * 5000])
def test_garbage_is_a_seal_error(hub_sealing_key, token):
    with pytest.raises(SealError):
        sealing.unseal(token, hub_sealing_key, record_id=RID, purpose="p")


def test_sealed_garbage_json_is_a_seal_error(hub_sealing_key):
    token = sealing.seal(b"{}", hub_sealing_key.public_key(), record_id=RID, purpose="applicant")
    with pytest.raises(SealError, match="bad data"):
        sealing.unseal_applicant(token, hub_sealing_key, record_id=RID)


def test_sealing_key_text(hub_sealing_key):
    text = sealing.sealing_key_to_text(hub_sealing_key.public_key())
    assert sealing.sealing_key_from_text(text).public_bytes_raw() == (
        hub_sealing_key.public_key().public_bytes_raw()
    )
    with pytest.raises(InvalidValue):
        sealing.sealing_key_from_text("AAAA")
