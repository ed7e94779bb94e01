"""Ingest benchmark: N devices push batches of typical applications to a served hub.

The hub runs as its own process (`daiban-hub serve`, waitress) on a loopback port; the devices
are threads here, each enrolled with its own key, pushing pre-built batches (sealing is the
agent's cost at capture, not the hub's). Prints records/s, p50/p95 push latency and the hub
process's peak memory, then copies the very rows the hub wrote into a fresh database with the
same schema and times plain executemany inserts of them, batch by batch: the raw SQLite rate.

    .venv/bin/python bench/bench_ingest.py [--devices 4] [--batches 10] [--size 500]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from hub.catalogue import sample_catalogue
from hub.devices import enrolment_code
from hub.setup import add_outlet, init_data
from hub.store import open_db, write
from sync.batch import encode_batch
from sync.replies import decode_ack
from sync.signing import RequestAuth
from tests import factories
from tests.support.device import Device
from tests.support.served import Clock

TABLES = ("applications", "records", "events", "feed", "scans", "batches")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_up(url: str) -> None:
    for _ in range(200):  # bounded: 20 s
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit("hub did not start")


def raw_rate(hub_db: Path, size: int) -> tuple[float, int]:
    """Insert the hub's own rows into a fresh database, ``size`` applications per transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        target = open_db(Path(tmp) / "raw.db")
        source = open_db(hub_db, migrate=False)
        rows = {t: list(source.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
        columns = {t: len(source.execute(f"SELECT * FROM {t} LIMIT 1").description) for t in TABLES}
        source.close()
        # Plain inserts: no foreign-key checks (the hub pays for them; the raw rate does not).
        target.execute("PRAGMA foreign_keys = OFF")
        n_apps = len(rows["applications"])
        chunks = max(1, n_apps // size)
        start = time.perf_counter()
        for i in range(chunks):
            target.execute("BEGIN IMMEDIATE")
            for table in TABLES:
                part = rows[table][
                    i * len(rows[table]) // chunks : (i + 1) * len(rows[table]) // chunks
                ]
                marks = ", ".join("?" * columns[table])
                target.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", part)
            target.execute("COMMIT")
        elapsed = time.perf_counter() - start
        target.close()
        return n_apps / elapsed, n_apps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--batches", type=int, default=10, help="batches per device")
    parser.add_argument("--size", type=int, default=500, help="applications per batch")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="daiban-bench-"))
    data = tmp / "hub"
    now = int(time.time() * 1000)
    init_data(data, sample_catalogue(), now=now)
    db = open_db(data / "hub.db")
    codes = []
    with write(db):
        for d in range(args.devices):
            add_outlet(
                db, code=f"PO-{d:03d}", kind="postal", name=f"outlet {d}", region="510107", now=now
            )
            codes.append(enrolment_code(db, outlet=f"PO-{d:03d}", now=now, ttl_s=3600)["code"])
    db.close()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub",
            "--data",
            str(data),
            "serve",
            "--port",
            str(port),
            "--threads",
            "8",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # `python -m` puts the working folder first on the path: run in this checkout, or a
        # hub from another checkout (the caller's folder) would be measured.
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    try:
        wait_up(url)
        clock = Clock(int(time.time() * 1000))
        devices, frames = [], []
        item = sample_catalogue().item("SS-CARD-APPLY")
        for d, code in enumerate(codes):
            device = Device(url, clock)
            answer = device.enroll(code)
            sealing_key = device.sealing_key
            if sealing_key is None:
                sys.exit(f"enrolment with {code} refused: {answer}")
            rng = random.Random(d)
            batches = []
            for b in range(args.batches):
                apps = [
                    factories.catalogue_application(
                        rng,
                        sealing_key,
                        item,
                        tag=device.tag,
                        seq=b * args.size + i + 1,
                        outlet=device.outlet["code"],
                        ms=clock(),
                        mail=rng.random() < 0.5,
                    )
                    for i in range(args.size)
                ]
                batches.append(encode_batch(device.batch(apps)))
            devices.append(device)
            frames.append(batches)
        latencies: list[float] = []
        lock = threading.Lock()

        def run(device: Device, batches: list[bytes]) -> None:
            auth = device.session.auth
            assert isinstance(auth, RequestAuth), "the device is enrolled"
            auth.clock = lambda: int(time.time())  # real time while pushing
            for frame in batches:
                start = time.perf_counter()
                response = device.verified(device.push_frame(frame))
                elapsed = time.perf_counter() - start
                ack = decode_ack(response.content)
                assert all(r.status == "accepted" for r in ack.results), ack.results[:3]
                with lock:
                    latencies.append(elapsed)

        threads = [
            threading.Thread(target=run, args=(d, f)) for d, f in zip(devices, frames, strict=True)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        peak = peak_rss_mb(hub.pid)
    finally:
        hub.terminate()
        hub.wait(timeout=10)

    total = args.devices * args.batches * args.size
    rate = total / wall
    raw, n = raw_rate(data / "hub.db", args.size)
    shutil.rmtree(tmp, ignore_errors=True)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    frame_kb = statistics.mean(len(f) for fs in frames for f in fs) / 1024
    print(
        f"{args.devices} devices x {args.batches} batches x {args.size} applications "
        f"= {total:,} records ({frame_kb:.0f} KB per batch frame)"
    )
    print(f"  hub ingest:          {rate:>10,.0f} records/s  (wall {wall:.2f} s)")
    print(
        f"  push latency:        p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms"
    )
    print(f"  hub peak memory:     {peak:>10,.0f} MB (VmHWM of the hub process)")
    print(
        f"  raw SQLite inserts:  {raw:>10,.0f} records/s  (the same {n:,} applications' rows,"
        f" {len(TABLES)} tables, {args.size} per transaction)"
    )
    print(f"  hub / raw:           {rate / raw:>10.0%}  (target: at least 40%)")


if __name__ == "__main__":
    main()
