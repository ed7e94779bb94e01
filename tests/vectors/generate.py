"""Write the protocol's test vectors (run once; the JSON files are committed).

    .venv/bin/python tests/vectors/generate.py

Sealing draws a fresh ephemeral key each time (HPKE), so running this again changes the sealed
values and the batch that carries them: regenerate only when the protocol version changes.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path
from typing import TypedDict

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

import msgspec
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from sync import codec, signing
from sync.batch import encode_batch, new_batch
from sync.ids import device_tag, receipt_number, uuid7
from sync.records import UplinkRecord
from sync.sealing import Address, Applicant, seal, seal_address, seal_applicant
from tests import factories

HUB_SEAL_SEED = bytes(range(32))
DEVICE_SEED = bytes(range(1, 33))
HUB_SIGN_SEED = bytes(range(2, 34))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write(name: str, value: object) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=1) + "\n"
    (HERE / name).write_text(text, encoding="utf-8")


def keys() -> dict[str, str]:
    return {
        "hub_sealing_private": HUB_SEAL_SEED.hex(),
        "hub_sealing_public": x25519.X25519PrivateKey.from_private_bytes(HUB_SEAL_SEED)
        .public_key()
        .public_bytes_raw()
        .hex(),
        "device_signing_seed": DEVICE_SEED.hex(),
        "device_signing_public": ed25519.Ed25519PrivateKey.from_private_bytes(DEVICE_SEED)
        .public_key()
        .public_bytes_raw()
        .hex(),
        "hub_signing_seed": HUB_SIGN_SEED.hex(),
        "hub_signing_public": ed25519.Ed25519PrivateKey.from_private_bytes(HUB_SIGN_SEED)
        .public_key()
        .public_bytes_raw()
        .hex(),
    }


class BatchVector(TypedDict):
    name: str
    payload: str
    digest: str
    frame_base64: str
    record_digests: list[str]


def batches(hub_public: x25519.X25519PublicKey) -> list[BatchVector]:
    rng = random.Random(7)
    apps = [factories.application(rng, hub_public, seq=i + 1, mail=i == 0) for i in range(3)]
    records: list[UplinkRecord] = [
        *apps,
        factories.amend(rng, apps[0].id),
        factories.pickup(rng, apps[1].id),
        factories.rating(rng, apps[1].id, level="very_dissatisfied"),
    ]
    batch = new_batch(
        device="dev-0007",
        batch_id=uuid7(factories.T0 + 500_000, bytes(range(10))),
        seq=1,
        sent_at=factories.T0 + 500_000,
        records=records,
    )
    frame = encode_batch(batch)
    return [
        {
            "name": "six records, one of each uplink kind",
            "payload": codec.canonical(batch).decode("utf-8"),
            "digest": codec.digest_hex(codec.canonical(batch)),
            "frame_base64": b64(frame),
            "record_digests": [codec.digest_hex(codec.canonical(x)) for x in records],
        }
    ]


def acks() -> list[dict[str, object]]:
    """An acknowledgement as a push without ``feed=1`` gets it, and with the feed records."""
    from sync import records as r
    from sync.replies import FeedSlice, RecordResult, encode_ack, new_ack

    batch = uuid7(factories.T0 + 500_000, bytes(range(10)))
    created = uuid7(factories.T0 + 400_000, bytes(range(1, 11)))
    refused = uuid7(factories.T0 + 400_001, bytes(range(2, 12)))
    reason = r.Reason(code="item.unknown", message="no service item X-1 in the catalogue")
    ack = new_ack(
        device="dev-0007",
        batch=batch,
        seq=1,
        digest="ab" * 32,
        received_at=factories.T0 + 501_000,
        skew_ms=-1000,
        results=[
            RecordResult(index=0, id=created, status="accepted"),
            RecordResult(index=1, id=refused, status="rejected", reasons=(reason,)),
        ],
        hub_time=factories.T0 + 501_000,
    )
    records = (
        r.RecordRejected(
            id=uuid7(factories.T0 + 501_000, bytes(range(3, 13))),
            record=refused,
            record_kind="application.create",
            batch=batch,
            at=factories.T0 + 501_000,
            reasons=(reason,),
        ),
        r.StatusChanged(
            id=uuid7(factories.T0 + 501_000, bytes(range(4, 14))),
            application=created,
            status="routed",
            version=2,
            at=factories.T0 + 501_000,
            unit="HRSS-510107",
        ),
    )
    with_feed = msgspec.structs.replace(ack, feed=FeedSlice(after=41, cursor=43, records=records))
    return [
        {
            "name": name,
            "payload": codec.canonical(value).decode("utf-8"),
            "frame_base64": b64(encode_ack(value)),
        }
        for name, value in (("acknowledgement", ack), ("with feed records", with_feed))
    ]


def invalid_frames(good: bytes) -> list[dict[str, str]]:
    import zlib

    payload = codec.decode_frame(good)[1]

    def frame(body: bytes, *, version: int = 1, digest: bytes | None = None) -> bytes:
        import hashlib

        return (
            codec.MAGIC
            + bytes((version, 1))
            + (digest or hashlib.sha256(body).digest())
            + zlib.compress(body)
        )

    flipped = bytearray(good)
    flipped[-10] ^= 0x01
    envelope = json.loads(payload)
    extra = dict(envelope, surprise=1)
    no_records = dict(envelope, records=[])
    return [
        {"name": "empty", "frame_base64": "", "code": "malformed"},
        {"name": "bad magic", "frame_base64": b64(b"XYZ" + good[3:]), "code": "malformed"},
        {
            "name": "version 9",
            "frame_base64": b64(frame(payload, version=9)),
            "code": "unsupported_version",
        },
        {
            "name": "one flipped byte",
            "frame_base64": b64(bytes(flipped)),
            "code": "malformed|digest_mismatch",
        },
        {
            "name": "digest of other bytes",
            "frame_base64": b64(frame(payload, digest=bytes(32))),
            "code": "digest_mismatch",
        },
        {"name": "truncated", "frame_base64": b64(good[:-20]), "code": "malformed"},
        {"name": "not JSON", "frame_base64": b64(frame(b"\xff\xfenot json")), "code": "malformed"},
        {
            "name": "unknown envelope field",
            "frame_base64": b64(frame(codec.canonical(extra))),
            "code": "malformed",
        },
        {
            "name": "no records",
            "frame_base64": b64(frame(codec.canonical(no_records))),
            "code": "malformed",
        },
        {
            "name": "codec 7",
            "frame_base64": b64(codec.MAGIC + bytes((1, 7)) + good[5:]),
            "code": "malformed",
        },
    ]


def signatures() -> list[dict[str, object]]:
    device = ed25519.Ed25519PrivateKey.from_private_bytes(DEVICE_SEED)
    hub = ed25519.Ed25519PrivateKey.from_private_bytes(HUB_SIGN_SEED)
    out: list[dict[str, object]] = []
    for method, target, body in (
        ("POST", "/api/v1/sync/push", b'{"hello":"world"}'),
        ("GET", "/api/v1/sync/pull?cursor=42&limit=500", b""),
    ):
        req = signing.sign_request(
            method=method,
            target=target,
            body=body,
            key=device,
            key_id="dev-0007",
            created=1_790_000_000,
            nonce="bm9uY2Utb25lLXR3bw",
        )
        resp_body = b"ack-bytes"
        resp = signing.sign_response(
            status=200,
            body=resp_body,
            key=hub,
            key_id="hub",
            created=1_790_000_001,
            nonce="aHViLW5vbmNlLTAwMQ",
            request_method=method,
            request_target=target,
            request_headers=req,
        )
        out.append(
            {
                "request": {
                    "method": method,
                    "target": target,
                    "body_base64": b64(body),
                    "key_id": "dev-0007",
                    "created": 1_790_000_000,
                    "nonce": "bm9uY2Utb25lLXR3bw",
                    "headers": req,
                },
                "response": {
                    "status": 200,
                    "body_base64": b64(resp_body),
                    "key_id": "hub",
                    "created": 1_790_000_001,
                    "nonce": "aHViLW5vbmNlLTAwMQ",
                    "headers": resp,
                },
            }
        )
    return out


def sealed(hub_public: x25519.X25519PublicKey) -> list[dict[str, str]]:
    rid = uuid7(factories.T0, bytes(range(10, 20)))
    person = Applicant(name="张三", id_number="11010519491231002X", phone="13812345678")
    where = Address(
        recipient="张三", phone="13812345678", address="四川省成都市武侯区人民南路四段1号"
    )
    return [
        {
            "record_id": rid,
            "purpose": "applicant",
            "token": seal_applicant(person, hub_public, record_id=rid),
            "plaintext": codec.canonical(person).decode("utf-8"),
        },
        {
            "record_id": rid,
            "purpose": "address",
            "token": seal_address(where, hub_public, record_id=rid),
            "plaintext": codec.canonical(where).decode("utf-8"),
        },
        {
            "record_id": rid,
            "purpose": "collector",
            "token": seal(b"raw bytes", hub_public, record_id=rid, purpose="collector"),
            "plaintext": "raw bytes",
        },
    ]


def _rid(body17: str) -> str:
    from stdnum.iso7064 import mod_11_2

    return body17 + mod_11_2.calc_check_digit(body17)


def _uscc(body17: str) -> str:
    from stdnum.cn import uscc

    return body17 + uscc.calc_check_digit(body17)


def identifiers() -> dict[str, object]:
    return {
        "resident_id": {
            "today": "2026-11-23",
            "valid": [
                ["11010519491231002X", "11010519491231002X"],
                ["11010519491231002x", "11010519491231002X"],
                ["110105 19491231 002X", "11010519491231002X"],
                ["110105491231002", "11010519491231002X"],
                [_rid("51010719900307879"), _rid("51010719900307879")],
            ],
            "warning": [[_rid("99010119900307213"), _rid("99010119900307213")]],
            "invalid": [
                ["11010519491231002", "length"],
                ["110105194912310021", "checksum"],
                [_rid("11010519491331002"), "birth_date"],
                [_rid("11010520271231002"), "birth_date"],
                ["1101051949123100AX", "format"],
                ["", "length"],
            ],
        },
        "credit_code": {
            "valid": [
                ["91350100M000100Y43", "91350100M000100Y43"],
                [_uscc("N2510107MA6CK1234").lower(), _uscc("N2510107MA6CK1234")],
                [_uscc("Y1510107MA6CK1234"), _uscc("Y1510107MA6CK1234")],
                [_uscc("A1510107MA6CK1234"), _uscc("A1510107MA6CK1234")],
            ],
            "invalid": [
                ["91350100M000100Y44", "checksum"],
                ["91350100M000100Y4", "length"],
                ["9135O100M000100Y43", "format"],
                ["91ABCDEFM000100Y43", "format"],
            ],
        },
        "mobile": {
            "valid": [
                ["13812345678", "13812345678"],
                ["+86 138 1234 5678", "13812345678"],
                ["0086-138-1234-5678", "13812345678"],
            ],
            "invalid": [
                ["12345", "format"],
                ["+1 202 555 0143", "country"],
                ["01012345678", "format"],
            ],
        },
        "tracking_number": {
            "valid": [
                ["EA123456785CN", "EA123456785CN"],
                ["ea 123 456 785 cn", "EA123456785CN"],
                ["RR473124829GB", "RR473124829GB"],
                ["1150037862815", "1150037862815"],
            ],
            "invalid": [
                ["EA123456784CN", "checksum"],
                ["EA12345678CN", "format"],
                ["abc", "format"],
            ],
        },
        "receipt": {
            "valid": [
                [receipt_number(device_tag(7), 42), receipt_number(device_tag(7), 42)],
                [receipt_number(device_tag(1000), 1).lower(), receipt_number(device_tag(1000), 1)],
            ],
            "invalid": [
                [receipt_number(device_tag(7), 42)[:-1] + "0", "checksum"],
                ["2229-42-X", "format"],
            ],
        },
    }


def main() -> None:
    hub_public = x25519.X25519PrivateKey.from_private_bytes(HUB_SEAL_SEED).public_key()
    good = batches(hub_public)
    write("keys.json", keys())
    write("batches.json", good)
    write("acks.json", acks())
    write("invalid_frames.json", invalid_frames(base64.b64decode(good[0]["frame_base64"])))
    write("signatures.json", signatures())
    write("sealed.json", sealed(hub_public))
    write("identifiers.json", identifiers())
    print("vectors written to", HERE)


if __name__ == "__main__":
    main()
