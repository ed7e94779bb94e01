"""Sync benchmark: a backlog of typical applications synced from one agent to a served hub.

The hub runs as its own process (`daiban-hub serve`) on loopback; the agent is this process,
using its real store, capture, client and sync round. Prints wall time, records/s, HTTP
requests and bytes per application for: the backlog, a no-op sync, a sync after status
changes at the hub, and separately scans. Bytes count bodies and headers both ways.

The yardstick (CouchDB replication, PouchDB to pouchdb-server, best settings, this kind of
machine): 10,000 documents of about 1 KB in about 3.5 s, about 1,280 bytes sent per document,
about 80 requests; a no-op replication takes 4 requests and 2.6 KB.

    .venv/bin/python bench/bench_sync.py [--records 10000] [--changes 100] [--scans 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests

from agent import capture as cap
from agent.client import HubClient, enroll
from agent.home import Home
from agent.store import local, meta, write
from agent.syncer import SyncResult, sync_once
from hub.catalogue import sample_catalogue
from hub.devices import enrolment_code
from hub.setup import add_outlet, init_data
from hub.store import open_db
from hub.store import write as hub_write
from hub.users import create_user
from sync.signing import public_key_from_text, public_key_to_text

COUCH = {
    "seconds": 3.5,
    "bytes_per_doc": 1280,
    "requests": 80,
    "noop_requests": 4,
    "noop_bytes": 2600,
}


def now_ms() -> int:
    return int(time.time() * 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_hub(tmp: Path) -> tuple[subprocess.Popen, str, str]:
    data = tmp / "hub"
    init_data(data, sample_catalogue(), now=now_ms())
    db = open_db(data / "hub.db")
    with hub_write(db):
        add_outlet(db, code="PO-1", kind="postal", name="bench", region="510107", now=now_ms())
        code = enrolment_code(db, outlet="PO-1", now=now_ms(), ttl_s=3600)["code"]
        token = create_user(
            db,
            name="officer",
            role="officer",
            unit="HRSS-510107",
            known_units=set(sample_catalogue().units()),
            now=now_ms(),
        ).token
    db.close()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "--data", str(data), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # `python -m` puts the working folder first on the path: run in this checkout, or a
        # hub from another checkout (the caller's folder) would be measured.
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):  # bounded: 20 s
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return proc, url, f"{code}\n{token}"
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("hub did not start")


def enrol_agent(home: Home, url: str, code: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    body = enroll(
        url, code, public_key_to_text(key.public_key()), label="bench", agent_version="bench"
    )
    home.save_device_key(key)
    db = home.open()
    with write(db):
        meta.put(
            db,
            "device",
            {
                "device_id": body["device_id"],
                "tag": body["tag"],
                "outlet": body["outlet"],
                "hub_url": url,
                "hub_signing_key": body["hub"]["signing_key"],
                "hub_sealing_key": body["hub"]["sealing_key"],
            },
        )
        local.save_catalogue(
            db,
            version=body["catalogue"]["version"],
            body=json.dumps(body["catalogue"], ensure_ascii=False),
            now=now_ms(),
        )
    db.close()


def capture_backlog(home: Home, tmp: Path, n: int, *, scan_size: int = 0) -> list[str]:
    """``n`` typical applications (about 1 KB of JSON each before sealing)."""
    db = home.open()
    rng = random.Random(n)
    ids = []
    notes = ["", "老人行动不便，上门代办", "申请人下月外出务工，请尽快办理", "材料原件已核验"]
    with write(db):
        for i in range(n):
            scans: dict[str, list[Path]] = {}
            paper = ["ID-CARD"]
            if scan_size:
                scan = tmp / f"scan-{i}.jpg"
                scan.write_bytes(rng.randbytes(scan_size))
                scans, paper = {"ID-CARD": [scan]}, []
            mail = rng.random() < 0.5
            new = cap.NewApplication(
                item="SS-CARD-APPLY",
                name=rng.choice("王李张刘陈杨黄赵") + "某某",
                id_number="11010519491231002X",
                phone=f"13{rng.randint(100000000, 999999999)}",
                staff=f"runner-{rng.randint(1, 40):02d}",
                paper=paper,
                scans=scans,
                promised=["PHOTO"],
                mail_to=f"四川省成都市武侯区人民南路{rng.randint(1, 300)}号{rng.randint(1, 30)}栋"
                if mail
                else None,
                note=rng.choice(notes),
            )
            ids.append(cap.capture(db, home, new, now_ms=now_ms())["id"])
    db.close()
    return ids


def client_for(home: Home) -> HubClient:
    db = home.open()
    device = meta.get(db, "device")
    db.close()
    return HubClient(
        device["hub_url"],
        key=home.device_key(),
        device_id=device["device_id"],
        hub_key=public_key_from_text(device["hub_signing_key"]),
        clock_ms=now_ms,
    )


def timed_sync(home: Home) -> tuple[float, HubClient, SyncResult]:
    db = home.open()
    client = client_for(home)
    start = time.perf_counter()
    result = sync_once(db, home, client, now_ms=now_ms)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed, client, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--scan-kb", type=int, default=200)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="daiban-sync-bench-"))
    proc, url, secrets_ = start_hub(tmp)
    code, token = secrets_.split("\n")
    try:
        home = Home(tmp / "agent")
        enrol_agent(home, url, code)
        start = time.perf_counter()
        ids = capture_backlog(home, tmp, args.records)
        capture_s = time.perf_counter() - start
        n = args.records

        wall, client, result = timed_sync(home)
        print(
            f"backlog of {n:,} applications (captured offline in {capture_s:.1f} s, "
            f"{n / capture_s:,.0f}/s incl. sealing)"
        )
        print(
            f"  sync:        {wall:6.2f} s   {n / wall:>8,.0f} records/s   "
            f"{client.requests} requests"
        )
        print(
            f"  bytes/app:   sent {client.bytes_sent / n:,.0f}   "
            f"received {client.bytes_received / n:,.0f}"
        )
        print(
            f"  vs CouchDB:  {COUCH['seconds'] / wall:.1f}x faster, "
            f"{client.bytes_sent / n / COUCH['bytes_per_doc']:.0%} of its bytes sent, "
            f"{client.requests} vs ~{COUCH['requests']} requests"
        )

        wall, client, result = timed_sync(home)
        print(
            f"no-op sync:    {wall * 1000:6.1f} ms  {client.requests} request(s), "
            f"{client.bytes_sent + client.bytes_received:,} bytes "
            f"(CouchDB: {COUCH['noop_requests']} requests, {COUCH['noop_bytes']:,} bytes)"
        )

        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        for app_id in ids[: args.changes]:
            api.post(
                f"{url}/api/v1/applications/{app_id}/actions", json={"action": "accept"}, timeout=30
            ).raise_for_status()
        wall, client, result = timed_sync(home)
        print(
            f"after {args.changes} status changes at the hub: {wall * 1000:6.1f} ms  "
            f"{client.requests} request(s), pulled {result.pulled}, "
            f"{client.bytes_received:,} bytes received"
        )

        if args.scans:
            scan_home = Home(tmp / "agent-scans")
            db = open_db(tmp / "hub" / "hub.db")
            with hub_write(db):
                code2 = enrolment_code(db, outlet="PO-1", now=now_ms(), ttl_s=3600)["code"]
            db.close()
            enrol_agent(scan_home, url, code2)
            capture_backlog(scan_home, tmp, args.scans, scan_size=args.scan_kb * 1024)
            wall, client, result = timed_sync(scan_home)
            mb = args.scans * args.scan_kb / 1024
            print(
                f"{args.scans:,} scans of {args.scan_kb} KB ({mb:,.0f} MB) with their "
                f"applications: {wall:6.2f} s, {mb / wall:,.1f} MB/s, {client.requests} "
                f"requests, {client.bytes_sent / (mb * 1024 * 1024):.3f} bytes sent per "
                f"scan byte"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)  # the scans alone are ~400 MB


if __name__ == "__main__":
    main()
