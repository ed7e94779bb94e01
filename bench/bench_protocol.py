"""Protocol micro-benchmark: a batch of 500 typical applications.

Prints encode+sign and verify+decode throughput (records/s, median of repeated runs) and the
bytes per record before and after compression. Sealing the personal data happens at capture,
not at send, and is timed separately.

    .venv/bin/python bench/bench_protocol.py [--records 500] [--repeat 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from sync import codec, signing
from sync.batch import decode_batch, encode_batch, new_batch
from sync.ids import uuid7
from tests import factories

TARGET = "/api/v1/sync/push"


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    rng = random.Random(1)
    hub_seal = x25519.X25519PrivateKey.generate()
    device = ed25519.Ed25519PrivateKey.generate()

    start = time.perf_counter()
    apps = [
        factories.application(rng, hub_seal.public_key(), seq=i + 1, ms=factories.T0 + i)
        for i in range(args.records)
    ]
    capture = time.perf_counter() - start

    def encode_and_sign() -> tuple[bytes, dict[str, str]]:
        batch = new_batch(
            device="dev-0001",
            batch_id=uuid7(factories.T0, rng.randbytes(10)),
            seq=1,
            sent_at=factories.T0,
            records=apps,
        )
        frame = encode_batch(batch)
        headers = signing.sign_request(
            method="POST",
            target=TARGET,
            body=frame,
            key=device,
            key_id="dev-0001",
            created=1_790_000_000,
            nonce="bench-nonce-0000001",
        )
        return frame, headers

    frame, headers = encode_and_sign()

    def verify_and_decode() -> None:
        signing.verify_request(
            method="POST",
            target=TARGET,
            headers=headers,
            body=frame,
            resolve_key=lambda key_id: device.public_key(),
            now=1_790_000_001,
        )
        decoded = decode_batch(frame)
        assert len(decoded.records) == args.records and not decoded.errors

    encode_s = median_seconds(encode_and_sign, args.repeat)
    decode_s = median_seconds(verify_and_decode, args.repeat)
    raw = len(codec.canonical(apps[0]))
    payload = len(codec.decode_frame(frame)[1])
    header_bytes = sum(len(k) + len(v) + 4 for k, v in headers.items())
    n = args.records
    print(f"batch of {n} typical applications (median of {args.repeat} runs)")
    print(f"  capture incl. sealing:   {n / capture:>10,.0f} records/s  (once, at the counter)")
    print(
        f"  encode + sign:           {n / encode_s:>10,.0f} records/s  ({encode_s * 1000:.1f} ms)"
    )
    print(
        f"  verify + decode:         {n / decode_s:>10,.0f} records/s  ({decode_s * 1000:.1f} ms)"
    )
    print(f"  canonical JSON / record: {payload / n:>10,.0f} bytes  (first record alone: {raw})")
    print(f"  compressed / record:     {len(frame) / n:>10,.0f} bytes  (frame {len(frame):,} B)")
    print(f"  signature headers:       {header_bytes:>10,} bytes per request")


if __name__ == "__main__":
    main()
