"""Bad networks end to end: lost answers, cut uploads, scans arriving after their record."""

from __future__ import annotations

import hashlib

import pytest
import requests

from sync.batch import encode_batch
from sync.replies import decode_ack
from tests import factories
from tests.hub.test_e2e_sync import apps_for, count, enrolled
from tests.support.netfaults import answer_dropping_proxy


def test_a_lost_acknowledgement_then_a_retry_leaves_exactly_one_copy(hub):
    device = enrolled(hub)
    frame = encode_batch(device.batch(apps_for(device, 4)))
    port = int(hub.url.rsplit(":", 1)[1])
    with answer_dropping_proxy(port, drops=1) as via_proxy:
        device.url = via_proxy
        with pytest.raises(requests.ConnectionError):
            device.push_frame(frame)
        # The hub applied it although the device never heard back.
        assert count(hub, "applications") == 4
        retry = device.verified(device.push_frame(frame))
    ack = decode_ack(retry.content)
    assert [r.status for r in ack.results] == ["accepted"] * 4  # the stored answer, again
    assert count(hub, "applications") == 4 and count(hub, "batches") == 1


def blob_url(hub, sha: str) -> str:
    return f"{hub.url}/api/v1/blobs/{sha}"


def test_a_scan_upload_cut_mid_file_resumes_and_completes_the_application(hub):
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    assert device.push([app]).results[0].status == "accepted"
    material = app.materials[0]
    scan = material.scans[0]
    data = factories.scan_bytes(app.id, material.code)
    assert hashlib.sha256(data).hexdigest() == scan.sha256
    db = hub.db()
    missing_before = db.execute(
        "SELECT missing_scans FROM applications WHERE id = ?", [app.id]
    ).fetchone()[0]
    db.close()
    assert missing_before == len([m for m in app.materials if m.scans])
    head = device.verified(device.session.head(blob_url(hub, scan.sha256), timeout=10))
    assert (head.status_code, head.headers["Upload-Offset"]) == (404, "0")
    query = device.session.post(
        f"{hub.url}/api/v1/blobs/query", json={"sha256": [scan.sha256]}, timeout=10
    ).json()
    assert query["missing"] == {scan.sha256: 0}
    # First chunk arrives; the connection dies before the second.
    first = device.session.patch(
        blob_url(hub, scan.sha256),
        data=data[:1000],
        params={"offset": 0, "total": len(data)},
        timeout=10,
    )
    assert first.json() == {"ok": True, "offset": 1000, "complete": False}
    # A retry of the same chunk is told where to resume.
    again = device.session.patch(
        blob_url(hub, scan.sha256),
        data=data[:1000],
        params={"offset": 0, "total": len(data)},
        timeout=10,
    )
    assert again.status_code == 409 and again.headers["Upload-Offset"] == "1000"
    offset = int(
        device.session.head(blob_url(hub, scan.sha256), timeout=10).headers["Upload-Offset"]
    )
    rest = device.session.patch(
        blob_url(hub, scan.sha256),
        data=data[offset:],
        params={"offset": offset, "total": len(data)},
        timeout=10,
    )
    assert rest.json()["complete"] is True
    db = hub.db()
    missing_after = db.execute(
        "SELECT missing_scans FROM applications WHERE id = ?", [app.id]
    ).fetchone()[0]
    db.close()
    assert missing_after == missing_before - 1


def test_a_scan_with_the_wrong_bytes_is_refused_and_discarded(hub):
    device = enrolled(hub)
    fake = hashlib.sha256(b"the real scan").hexdigest()
    wrong = device.session.patch(
        blob_url(hub, fake), data=b"something else", params={"offset": 0, "total": 14}, timeout=10
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "blob.digest_mismatch"
    head = device.session.head(blob_url(hub, fake), timeout=10)
    assert (head.status_code, head.headers["Upload-Offset"]) == (404, "0")
    bad_name = device.session.patch(
        blob_url(hub, "XYZ"), data=b"x", params={"offset": 0, "total": 1}, timeout=10
    )
    assert bad_name.status_code == 400
    unsigned = requests.patch(
        blob_url(hub, fake), data=b"x", params={"offset": 0, "total": 1}, timeout=10
    )
    assert unsigned.status_code == 401


def test_scans_uploaded_before_their_record_count_as_present(hub):
    device = enrolled(hub)
    app = apps_for(device, 1, seed=21)[0]
    for material in app.materials:
        for scan in material.scans:
            data = factories.scan_bytes(app.id, material.code)
            device.session.patch(
                blob_url(hub, scan.sha256),
                data=data,
                params={"offset": 0, "total": len(data)},
                timeout=10,
            )
    device.push([app])
    db = hub.db()
    assert db.execute("SELECT missing_scans FROM applications").fetchone()[0] == 0
    db.close()


def test_a_scan_stored_but_never_marked_is_marked_when_the_device_confirms_it(hub):
    """The hub stored a scan's last chunk and failed before marking it present (a crash, a
    locked database): the blob is complete, the application still waits for it. The device's
    confirming empty chunk (or its next query) marks it, so it lets its copy go only when
    the application no longer waits."""
    device = enrolled(hub)
    app = apps_for(device, 1)[0]
    assert device.push([app]).results[0].status == "accepted"
    scan = app.materials[0].scans[0]
    data = factories.scan_bytes(app.id, app.materials[0].code)
    hub.app.config["BLOBS"].put(scan.sha256, data)  # stored; scan_arrived never ran

    def missing() -> int:
        db = hub.db()
        try:
            return db.execute(
                "SELECT COUNT(*) FROM scans WHERE sha256 = ? AND present = 0", [scan.sha256]
            ).fetchone()[0]
        finally:
            db.close()

    assert missing() == 1
    confirm = device.session.patch(
        blob_url(hub, scan.sha256),
        data=b"",
        params={"offset": len(data), "total": len(data)},
        timeout=10,
    )
    assert confirm.json()["complete"] is True
    assert missing() == 0
