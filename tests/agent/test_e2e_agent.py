"""The agent against a real hub on loopback: offline capture, lost answers, cut uploads."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import requests

from agent import capture as cap
from agent.client import HubRefused, HubUnavailable
from agent.store import local, meta, outbox, write
from agent.syncer import SyncResult, sync_once
from tests.agent.conftest import Agent
from tests.support.netfaults import answer_dropping_proxy, push_of_batch, watching_proxy
from tests.support.served import ServedHub

IDS = ["11010519491231002X", "510107199003078796"]


def new_app(
    agent: Agent,
    tmp: Path,
    n: int = 0,
    *,
    item: str = "SS-CARD-APPLY",
    mail=None,
    scan_size: int = 3000,
    **extra,
) -> dict:
    scan = tmp / f"scan-{n}-{random.random()}.jpg"
    scan.write_bytes(random.Random(n).randbytes(scan_size))
    items = cap.catalogue_items(agent.db)
    spec = items[item]
    scans = {m.code: [scan] for m in spec.materials if m.required and not m.may_promise}
    promised = [m.code for m in spec.materials if m.required and m.may_promise]
    new = cap.NewApplication(
        item=item,
        name="张三",
        id_number=IDS[n % 2],
        phone="13812345678",
        staff="runner-7",
        mail_to=mail,
        scans=scans,
        promised=promised,
        **extra,
    )
    return cap.capture(agent.db, agent.home, new, now_ms=agent.hub.clock())


def hub_count(hub: ServedHub, table: str) -> int:
    db = hub.db()
    try:
        return db.table(table).count
    finally:
        db.close()


def sync(agent: Agent, **kw: Any) -> SyncResult:
    return sync_once(agent.db, agent.home, agent.client(**kw), now_ms=agent.hub.clock)


def test_capture_offline_then_sync_when_the_hub_is_up(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    made = [new_app(agent, tmp_path, i) for i in range(3)]
    down = agent.client(url="http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(HubUnavailable):
        sync_once(agent.db, agent.home, down, now_ms=hub.clock)
    assert outbox.count(agent.db) == 3  # work kept
    result = sync(agent)
    assert (result.pushed, result.settled, result.uploaded) == (3, 3, 3)
    assert outbox.count(agent.db) == 0
    rows = {a["id"]: a for a in local.list_applications(agent.db)}
    assert {rows[m["id"]]["hub_status"] for m in made} == {"routed"}
    assert hub_count(hub, "applications") == 3
    db = hub.db()
    assert db.execute("SELECT SUM(missing_scans) FROM applications").fetchone()[0] == 0
    db.close()


def test_personal_data_is_sealed_on_disk(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path, mail="四川省成都市武侯区人民南路四段1号")
    agent.db.conn.commit()
    raw = (tmp_path / "a" / "agent.db").read_bytes() + (
        tmp_path / "a" / "agent.db-wal"
    ).read_bytes()
    for secret in ("张三", "11010519491231002X", "13812345678", "人民南路"):
        assert secret.encode() not in raw
    assert b"1101**********002X" in raw


def test_scans_are_sealed_on_the_laptop_and_open_only_at_the_hub(hub, tmp_path):
    from hub.keys import load_keys
    from sync.sealing import unseal_bytes

    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    page = tmp_path / "id-card.jpg"
    page.write_bytes(b"\xff\xd8 ID card of 11010519491231002X " * 50)
    new = cap.NewApplication(
        item="SS-CARD-ACT",
        name="张三",
        id_number=IDS[0],
        phone="13812345678",
        staff="clerk",
        paper=["SS-CARD"],
        scans={"ID-CARD": [page]},
    )
    made = cap.capture(agent.db, agent.home, new, now_ms=hub.clock())
    [scan] = local.scans_to_upload(agent.db)
    kept = agent.home.scan_path(scan["sha256"]).read_bytes()
    assert b"11010519491231002X" not in kept and kept != page.read_bytes()
    sync(agent)
    blob = hub.data / "blobs" / scan["sha256"][:2] / scan["sha256"][2:4] / scan["sha256"]
    keys = load_keys(hub.data / "keys")
    opened = unseal_bytes(blob.read_bytes(), keys.sealing, record_id=made["id"], purpose="scan")
    assert opened == page.read_bytes()


def test_an_answer_lost_after_the_hub_applied_the_batch(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    for i in range(4):
        new_app(agent, tmp_path, i)
    port = int(hub.url.rsplit(":", 1)[1])
    # 0 is the round's catch-up pull; every attempt of the push (1, 2, 3) is lost.
    with answer_dropping_proxy(port, drop={1, 2, 3}) as proxy:
        with pytest.raises(HubUnavailable):
            sync(agent, url=proxy)
    assert hub_count(hub, "applications") == 4  # the hub has them
    assert outbox.count(agent.db) == 4 and outbox.inflight(agent.db) is not None
    result = sync(agent)  # the same batch again: the hub answers with its stored ack
    assert result.settled == 4 and outbox.count(agent.db) == 0
    assert hub_count(hub, "applications") == 4 and hub_count(hub, "batches") == 1


def test_an_answer_lost_while_the_batches_after_it_are_on_the_wire(hub, tmp_path, monkeypatch):
    import agent.syncer as syncer

    monkeypatch.setattr(syncer, "MAX_RECORDS", 2)  # 7 records: batches A B C D (seq 1-4)
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    for i in range(7):
        new_app(agent, tmp_path, i)
    port = int(hub.url.rsplit(":", 1)[1])
    # The hub applies B, and its answer is lost, every try; C and D go meanwhile.
    with answer_dropping_proxy(port, drop_if=push_of_batch(2)) as proxy:
        with pytest.raises(HubUnavailable):
            sync(agent, url=proxy)
    # Only A's acknowledgement was applied; B, C and D stay in flight, in order.
    waiting = outbox.inflights(agent.db)
    assert [len(b["records"]) for b in waiting] == [2, 2, 1]
    assert [b["seq"] for b in waiting] == [2, 3, 4]
    assert outbox.count(agent.db) == 5
    # Whatever reached the hub was applied in the device's order, each batch once.
    db = hub.db()
    applied = [r[0] for r in db.execute("SELECT seq FROM batches ORDER BY rowid")]
    db.close()
    assert applied == list(range(1, len(applied) + 1)) and len(applied) >= 2
    result = sync(agent)  # B, C and D again: the stored acknowledgement of each one applied
    assert result.settled == 5 and outbox.count(agent.db) == 0 and not outbox.inflights(agent.db)
    assert hub_count(hub, "applications") == 7 and hub_count(hub, "batches") == 4


@pytest.mark.parametrize("hub_orders_pushes", [True, False])
def test_two_pushes_travel_at_once_only_to_a_hub_that_keeps_their_order(
    hub, tmp_path, monkeypatch, hub_orders_pushes
):
    import agent.syncer as syncer

    monkeypatch.setattr(syncer, "MAX_RECORDS", 2)  # 8 records: batches A B C D
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    for i in range(8):
        new_app(agent, tmp_path, i, scan_size=0)
    port = int(hub.url.rsplit(":", 1)[1])
    # An older hub does not say it keeps the order (the answers lose the header).
    strip = None if hub_orders_pushes else "Daiban-Push-Order"
    with watching_proxy(port, hold_s=0.1, strip_header=strip) as (proxy, most_at_once):
        result = sync(agent, url=proxy)
    assert result.settled == 8 and outbox.count(agent.db) == 0
    assert most_at_once["POST"] == (2 if hub_orders_pushes else 1)
    db = hub.db()
    assert [r[0] for r in db.execute("SELECT seq FROM batches ORDER BY rowid")] == [1, 2, 3, 4]
    db.close()


def test_batches_that_overtake_the_one_before_them_are_sent_again(hub, tmp_path, monkeypatch):
    import agent.syncer as syncer

    monkeypatch.setattr(syncer, "MAX_RECORDS", 2)  # 8 records: batches A B C D (seq 1-4)
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    for i in range(8):
        new_app(agent, tmp_path, i)
    # A goes alone (the first push of a round is timed before two travel at once). B is
    # held on its way for longer than the hub waits for a batch that has not arrived: C,
    # sent after B, reaches the hub first and is refused, changing nothing; D, sent after
    # C, must not be held back by that refusal.
    monkeypatch.setattr(hub.app.config["PUSH_ORDER"], "arrival_wait_s", 0.2)
    port = int(hub.url.rsplit(":", 1)[1])
    with watching_proxy(port, hold_s=0.6, hold_if=push_of_batch(2)) as (proxy, _):
        result = sync(agent, url=proxy)
    # catch-up pull, A, B, C refused, C again, D (refused too if it came before C's second
    # try, then again), scan query, 8 scans, final pull
    assert result.requests in (16, 17)
    assert result.settled == 8 and outbox.count(agent.db) == 0 and not outbox.inflights(agent.db)
    db = hub.db()
    assert [r[0] for r in db.execute("SELECT seq FROM batches ORDER BY rowid")] == [1, 2, 3, 4]
    db.close()
    assert hub_count(hub, "applications") == 8


def test_a_round_cut_before_the_hub_saw_the_batch(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path)
    with pytest.raises(HubUnavailable):
        sync(agent, url="http://127.0.0.1:9")
    # Nothing was in flight yet when the connection failed: the batch is written first.
    assert outbox.inflight(agent.db) is not None
    sync(agent)
    assert hub_count(hub, "applications") == 1 and outbox.inflight(agent.db) is None


def test_a_scan_upload_cut_mid_file_resumes_where_it_stopped(hub, tmp_path, monkeypatch):
    import agent.syncer as syncer

    monkeypatch.setattr(syncer, "CHUNK", 1000)
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path, scan_size=5500)
    port = int(hub.url.rsplit(":", 1)[1])
    # 0 catch-up pull, 1 push, 2 query, 3 chunk@0, 4 chunk@1000 and its retries lost: the
    # round fails there.
    with answer_dropping_proxy(port, drop={4, 5, 6}) as proxy:
        with pytest.raises(HubUnavailable):
            sync(agent, url=proxy)
    assert local.scans_to_upload(agent.db)
    client = agent.client()
    sha = local.scans_to_upload(agent.db)[0]["sha256"]
    assert client.missing_scans([sha])[sha] == 2000  # chunk@1000 arrived; the answer did not
    sealed = agent.home.scan_path(sha).read_bytes()
    result = sync(agent)
    assert result.uploaded == 1 and not local.scans_to_upload(agent.db)
    blob = hub.data / "blobs" / sha[:2] / sha[2:4] / sha
    assert blob.read_bytes() == sealed
    assert not agent.home.scan_path(sha).exists()  # the hub has it: the laptop lets it go


def test_a_scan_the_hub_wrote_whole_but_never_finished_is_finished_not_dropped(hub, tmp_path):
    """The hub wrote a scan's last chunk and failed before completing it (its disk filled, it
    was killed): the partial holds every byte and the query says the upload is at the end.
    The laptop does not take that for delivered: it asks the hub to complete it (an empty
    chunk, the digest checked) and lets its copy go only then."""
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path, scan_size=3000)
    [scan] = local.scans_to_upload(agent.db)
    sha, sealed = scan["sha256"], agent.home.scan_path(scan["sha256"]).read_bytes()
    partial = hub.data / "blobs" / ".partial" / f"{sha}.part"
    partial.write_bytes(sealed)  # every byte there, never completed
    assert agent.client().missing_scans([sha]) == {sha: len(sealed)}
    sync(agent)
    blob = hub.data / "blobs" / sha[:2] / sha[2:4] / sha
    assert blob.read_bytes() == sealed
    assert not local.scans_to_upload(agent.db)
    db = hub.db()
    assert db.execute("SELECT SUM(missing_scans) FROM applications").fetchone()[0] == 0
    db.close()


def test_a_scan_whose_file_is_gone_does_not_stop_the_round(hub, tmp_path):
    """The laptop lost a scan's uploaded mark (a power cut) after deleting its file: a scan
    the hub holds is confirmed without the file; one the hub lacks is said in the round's
    notes, and the rest of the round (the other scan, the pull) still happens."""
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path, scan_size=3000)
    sync(agent)
    [held] = [s["sha256"] for s in agent.db.query("SELECT sha256 FROM scans")]
    new_app(agent, tmp_path, scan_size=2000)
    [lost] = [s["sha256"] for s in local.scans_to_upload(agent.db)]
    with write(agent.db):  # the mark the power cut took
        agent.db.execute("UPDATE scans SET uploaded = 0 WHERE sha256 = ?", [held])
    agent.home.scan_path(lost).unlink()
    result = sync(agent)
    assert [s["sha256"] for s in local.scans_to_upload(agent.db)] == [lost]
    assert any(lost[:12] in note for note in result.notes)
    assert result.pulled >= 0 and result.pushed == 1  # the round went on


def test_an_abandoned_upload_is_cleared_by_the_sweep_and_the_scan_sent_again(
    hub, tmp_path, monkeypatch
):
    import os

    import agent.syncer as syncer
    from hub.sweep import run_sweep

    monkeypatch.setattr(syncer, "CHUNK", 1000)
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path, scan_size=5500)
    port = int(hub.url.rsplit(":", 1)[1])
    # 0 catch-up pull, 1 push, 2 query, 3 chunk@0, then every answer is lost.
    with answer_dropping_proxy(port, drop=set(range(4, 12))) as proxy:
        with pytest.raises(HubUnavailable):
            sync(agent, url=proxy)
    sha = local.scans_to_upload(agent.db)[0]["sha256"]
    partial = hub.data / "blobs" / ".partial" / f"{sha}.part"
    assert partial.stat().st_size == 2000
    assert run_sweep(hub.app)["partial_uploads_removed"] == 0  # fresh: kept for its device
    days = hub.app.config["PARTIAL_UPLOAD_DAYS"]
    now_s = hub.clock() / 1000
    os.utime(partial, (now_s - days * 86_400 - 60,) * 2)
    assert run_sweep(hub.app)["partial_uploads_removed"] == 1
    assert not partial.exists()
    sealed = agent.home.scan_path(sha).read_bytes()  # the laptop still has it
    result = sync(agent)  # told to start again from byte 0
    assert result.uploaded == 1 and not local.scans_to_upload(agent.db)
    assert (hub.data / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == sealed
    db = hub.db()
    assert db.execute("SELECT SUM(missing_scans) FROM applications").fetchone()[0] == 0
    db.close()


def test_scans_go_two_at_a_time_and_each_is_let_go_only_once_the_hub_has_it(hub, tmp_path):
    import agent.syncer as syncer

    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    for i in range(5):
        new_app(agent, tmp_path, i, scan_size=4000 + i)
    scans = local.scans_to_upload(agent.db)
    sealed = {s["sha256"]: agent.home.scan_path(s["sha256"]).read_bytes() for s in scans}
    assert len(sealed) == 5
    port = int(hub.url.rsplit(":", 1)[1])
    with watching_proxy(port, hold_s=0.2) as (proxy, most_at_once):
        result = sync(agent, url=proxy)
    assert result.uploaded == 5 and not local.scans_to_upload(agent.db)
    assert most_at_once["PATCH"] == syncer.SCAN_SENDERS == 2  # never more, and not one by one
    for sha, content in sealed.items():
        assert (hub.data / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == content
        assert not agent.home.scan_path(sha).exists()
    db = hub.db()
    assert db.execute("SELECT SUM(missing_scans) FROM applications").fetchone()[0] == 0
    db.close()


def test_a_captive_portal_is_not_taken_for_the_hub(hub, tmp_path):
    import http.server
    import threading

    class Portal(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = b"<html>Please log in to Free WiFi</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.HTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
        new_app(agent, tmp_path)
        with pytest.raises(HubUnavailable, match="not signed by the hub"):
            sync(agent, url=f"http://127.0.0.1:{server.server_port}")
        assert outbox.count(agent.db) == 1  # nothing forgotten on a fake 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_record_goes_to_attention_and_does_not_block_the_rest(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    good = new_app(agent, tmp_path, 0)
    # Make the hub refuse the next one: its item disappears from the hub's catalogue view
    # by routing it through another outlet code in the record (simulating a stale device).
    bad = new_app(agent, tmp_path, 1)
    row = outbox.get(agent.db, bad["id"])
    assert row is not None
    forged = row["body"].replace(b'"outlet":"PO-WUHOU-01"', b'"outlet":"PO-OTHER"')
    agent.db.execute("UPDATE outbox SET body = ? WHERE record_id = ?", [forged, bad["id"]])
    agent.db.conn.commit()
    after = new_app(agent, tmp_path, 2)
    result = sync(agent)
    assert (result.settled, result.refused) == (2, 1)
    states = {a["id"]: a["sync_state"] for a in local.list_applications(agent.db)}
    assert states == {good["id"]: "sent", bad["id"]: "rejected", after["id"]: "sent"}
    [item] = local.open_attention(agent.db)
    assert item["reasons"][0]["code"] == "outlet.mismatch"
    assert outbox.count(agent.db) == 0


def test_two_outlets_see_only_their_own_updates(hub, tmp_path):
    wuhou = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    jintang = Agent(tmp_path / "b", hub, "TS-JINTANG-01")
    mine = new_app(wuhou, tmp_path, 0)
    theirs = new_app(jintang, tmp_path, 1)
    sync(wuhou)
    sync(jintang)
    assert {a for a, _ in local.versions(wuhou.db)} == {mine["id"]}
    assert {a for a, _ in local.versions(jintang.db)} == {theirs["id"]}


def officer(hub: ServedHub, unit: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {hub.user('o-' + unit, 'officer', unit)}"
    return session


def test_supplement_flows_down_and_the_amendment_up(hub, tmp_path, clock):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    made = new_app(agent, tmp_path)
    sync(agent)
    api = officer(hub, "HRSS-510107")
    url = f"{hub.url}/api/v1/applications/{made['id']}"
    accepted = api.post(url + "/actions", json={"action": "accept"}, timeout=10).json()
    due_before = accepted["application"]["due_date"]
    clock.advance(days=1)
    api.post(
        url + "/actions",
        json={"action": "request_supplement", "materials": ["PHOTO"], "message": "请补交一寸照片"},
        timeout=10,
    )
    sync(agent)
    app = agent.application(made["id"])
    assert app["hub_status"] == "supplement_requested"
    [asked] = local.open_attention(agent.db)
    assert asked["kind"] == "supplement" and asked["reasons"][0]["materials"] == ["PHOTO"]
    clock.advance(days=3)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 a photo")
    cap.amend(
        agent.db,
        agent.home,
        made["receipt"],
        staff="clerk",
        reason="supplement",
        scans={"PHOTO": [photo]},
        paper=[],
        note="已补交",
        now_ms=clock(),
    )
    assert local.open_attention(agent.db) == []
    result = sync(agent)
    assert result.settled == 1
    app = agent.application(made["id"])
    assert app["hub_status"] == "accepted" and app["due_date"] > due_before
    events = [e["event"] for e in local.timeline(agent.db, made["id"])]
    assert events[:2] == ["captured", "accepted by hub"]
    assert "supplement requested" in events and "amended (supplement)" in events


def test_the_cursor_survives_a_restart_and_a_noop_sync_is_one_request(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    for i in range(3):
        new_app(agent, tmp_path, i)
    sync(agent)
    cursor = meta.get(agent.db, "cursor")
    assert cursor > 0
    agent.db.close()
    agent.db = agent.home.open()  # a restart
    assert meta.get(agent.db, "cursor") == cursor
    client = agent.client()
    result = sync_once(agent.db, agent.home, client, now_ms=hub.clock)
    assert (result.pulled, client.requests) == (0, 1)


def test_a_drifted_view_heals_itself_with_a_resync(hub, tmp_path):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    made = new_app(agent, tmp_path)
    sync(agent)
    # Corrupt the local view (a restored old backup, a bug): the hub notices and says so.
    agent.db.execute("UPDATE hub_versions SET version = 99")
    agent.db.execute("UPDATE applications SET hub_status = 'closed'")
    agent.db.conn.commit()
    result = sync(agent)
    assert result.resynced
    assert agent.application(made["id"])["hub_status"] == "routed"


def test_a_wrong_device_clock_is_corrected_from_the_hub(hub, tmp_path, clock):
    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path)
    skewed = agent.client()
    skewed.clock_ms = lambda: clock() - 3 * 3600 * 1000  # three hours slow
    result = sync_once(agent.db, agent.home, skewed, now_ms=hub.clock)
    assert result.settled == 1
    assert abs(skewed.offset_ms - 3 * 3600 * 1000) < 5000


def test_a_revoked_device_is_told_so(hub, tmp_path):
    from hub import store
    from hub.store import write

    agent = Agent(tmp_path / "a", hub, "PO-WUHOU-01")
    new_app(agent, tmp_path)
    db = hub.db()
    with write(db):
        store.devices.revoke_device(
            db, meta.get(agent.db, "device")["device_id"], reason="lost", now=hub.clock()
        )
    db.close()
    with pytest.raises(HubRefused) as refused:
        sync(agent)
    assert refused.value.code == "device_revoked"
    assert outbox.count(agent.db) == 1
