"""The committed vectors are the contract: check them in both directions."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from sync import codec, ids, sealing, signing, validators
from sync.batch import decode_batch, encode_batch, record_digest
from sync.errors import InvalidValue, ProtocolError, SealError
from sync.records import ApplicationCreate

VECTORS = Path(__file__).parent.parent / "vectors"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


KEYS = load("keys.json")


def hub_sealing_key() -> x25519.X25519PrivateKey:
    return x25519.X25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS["hub_sealing_private"]))


def test_keys_derive_their_public_halves():
    assert hub_sealing_key().public_key().public_bytes_raw().hex() == KEYS["hub_sealing_public"]
    device = ed25519.Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(KEYS["device_signing_seed"])
    )
    assert device.public_key().public_bytes_raw().hex() == KEYS["device_signing_public"]


@pytest.mark.parametrize("vector", load("batches.json"), ids=lambda v: v["name"])
def test_batch_vector_decodes_and_reencodes_to_the_same_bytes(vector):
    frame = base64.b64decode(vector["frame_base64"])
    decoded = decode_batch(frame)
    assert decoded.digest == vector["digest"]
    assert not decoded.errors
    assert [e.digest for e in decoded.entries] == vector["record_digests"]
    assert [record_digest(r) for r in decoded.records] == vector["record_digests"]
    # Encode direction: the same records give the same canonical payload, byte for byte.
    from sync.batch import Batch

    rebuilt = Batch(
        v=decoded.version,
        device=decoded.device,
        batch=decoded.batch,
        seq=decoded.seq,
        sent_at=decoded.sent_at,
        records=decoded.records,
    )
    assert codec.canonical(rebuilt) == vector["payload"].encode("utf-8")
    # Deflate bytes may differ between zlib builds; the header and payload may not.
    again = encode_batch(rebuilt)
    assert again[: codec.HEADER_LEN] == frame[: codec.HEADER_LEN]
    assert codec.decode_frame(again)[1] == vector["payload"].encode("utf-8")


def test_batch_vector_payload_is_rfc8785_canonical():
    for vector in load("batches.json"):
        payload = vector["payload"].encode("utf-8")
        assert rfc8785.dumps(json.loads(payload)) == payload


def test_batch_vector_personal_data_opens_with_the_hub_key():
    vector = load("batches.json")[0]
    decoded = decode_batch(base64.b64decode(vector["frame_base64"]))
    first = decoded.records[0]
    assert isinstance(first, ApplicationCreate)
    person = sealing.unseal_applicant(first.applicant.sealed, hub_sealing_key(), record_id=first.id)
    assert validators.resident_id(person.id_number) == person.id_number


@pytest.mark.parametrize("vector", load("acks.json"), ids=lambda v: v["name"])
def test_ack_vector_decodes_and_reencodes_to_the_same_bytes(vector):
    from sync.replies import decode_ack, encode_ack

    frame = base64.b64decode(vector["frame_base64"])
    ack = decode_ack(frame)
    assert codec.decode_frame(frame)[1] == vector["payload"].encode("utf-8")
    assert codec.canonical(ack) == vector["payload"].encode("utf-8")
    assert codec.decode_frame(encode_ack(ack))[1] == vector["payload"].encode("utf-8")


def test_ack_vectors_differ_only_by_the_feed_records():
    plain, fed = (json.loads(v["payload"]) for v in load("acks.json"))
    assert "feed" not in plain and fed.pop("feed")["cursor"] == 43
    assert plain == fed


@pytest.mark.parametrize("vector", load("invalid_frames.json"), ids=lambda v: v["name"])
def test_invalid_frames_are_refused_with_their_code(vector):
    with pytest.raises(ProtocolError) as caught:
        decode_batch(base64.b64decode(vector["frame_base64"]))
    assert caught.value.code in vector["code"].split("|")


@pytest.mark.parametrize("vector", load("signatures.json"), ids=lambda v: v["request"]["target"])
def test_signature_vectors_sign_identically_and_verify(vector):
    device = ed25519.Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(KEYS["device_signing_seed"])
    )
    hub = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS["hub_signing_seed"]))
    req, resp = vector["request"], vector["response"]
    body = base64.b64decode(req["body_base64"])
    # Ed25519 is deterministic: the same inputs give the same signature.
    headers = signing.sign_request(
        method=req["method"],
        target=req["target"],
        body=body,
        key=device,
        key_id=req["key_id"],
        created=req["created"],
        nonce=req["nonce"],
    )
    assert headers == req["headers"]
    signed = signing.verify_request(
        method=req["method"],
        target=req["target"],
        headers=req["headers"],
        body=body,
        resolve_key=lambda key_id: device.public_key(),
        now=req["created"] + 5,
    )
    assert (signed.key_id, signed.nonce) == (req["key_id"], req["nonce"])
    resp_body = base64.b64decode(resp["body_base64"])
    resp_headers = signing.sign_response(
        status=resp["status"],
        body=resp_body,
        key=hub,
        key_id=resp["key_id"],
        created=resp["created"],
        nonce=resp["nonce"],
        request_method=req["method"],
        request_target=req["target"],
        request_headers=req["headers"],
    )
    assert resp_headers == resp["headers"]
    signing.verify_response(
        status=resp["status"],
        headers=resp["headers"],
        body=resp_body,
        key=hub.public_key(),
        key_id="hub",
        request_method=req["method"],
        request_target=req["target"],
        request_headers=req["headers"],
    )


@pytest.mark.parametrize("vector", load("sealed.json"), ids=lambda v: v["purpose"])
def test_sealed_vectors_open_and_only_for_their_record_and_purpose(vector):
    key = hub_sealing_key()
    plain = sealing.unseal(
        vector["token"], key, record_id=vector["record_id"], purpose=vector["purpose"]
    )
    assert plain == vector["plaintext"].encode("utf-8")
    other_id = ids.uuid7(1_790_000_000_000, bytes(10))
    with pytest.raises(SealError):
        sealing.unseal(vector["token"], key, record_id=other_id, purpose=vector["purpose"])
    with pytest.raises(SealError):
        sealing.unseal(vector["token"], key, record_id=vector["record_id"], purpose="other")
    with pytest.raises(SealError):
        sealing.unseal(
            vector["token"],
            x25519.X25519PrivateKey.generate(),
            record_id=vector["record_id"],
            purpose=vector["purpose"],
        )


IDENTIFIERS = load("identifiers.json")
TODAY = dt.date.fromisoformat(IDENTIFIERS["resident_id"]["today"])
CHECKERS = {
    "resident_id": lambda text: validators.resident_id(text, today=TODAY),
    "credit_code": validators.credit_code,
    "mobile": validators.mobile,
    "tracking_number": validators.tracking_number,
    "receipt": ids.check_receipt,
}
VALID = [(kind, a, b) for kind in CHECKERS for a, b in IDENTIFIERS[kind]["valid"]]
INVALID = [(kind, a, why) for kind in CHECKERS for a, why in IDENTIFIERS[kind]["invalid"]]


@pytest.mark.parametrize(("kind", "text", "normalised"), VALID)
def test_identifier_vectors_valid(kind, text, normalised):
    assert CHECKERS[kind](text) == normalised


@pytest.mark.parametrize(("kind", "text", "reason"), INVALID)
def test_identifier_vectors_invalid(kind, text, reason):
    with pytest.raises(InvalidValue) as caught:
        CHECKERS[kind](text)
    assert caught.value.reason == reason


def test_unknown_division_is_a_warning_not_a_refusal():
    for text, normalised in IDENTIFIERS["resident_id"]["warning"]:
        info = validators.inspect_resident_id(text, today=TODAY)
        assert info.number == normalised
        assert info.place is None and info.warnings
