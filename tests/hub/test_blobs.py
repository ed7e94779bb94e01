"""Content-addressed blob store: one-shot, chunked, resumable, crash-safe, concurrent."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import stat
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.blobs import (
    BadDigest,
    BlobError,
    BlobStore,
    BlobTooLarge,
    DigestMismatch,
    LocalBlobStore,
    OffsetMismatch,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(store: LocalBlobStore, digest: str) -> bytes:
    with store.open(digest) as f:
        return f.read()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", max_bytes=1024 * 1024)


DATA = bytes(range(256)) * 40  # 10240 bytes
DIGEST = sha(DATA)


def test_is_a_blob_store(store):
    assert isinstance(store, BlobStore)


def test_put_and_read(store):
    assert not store.has(DIGEST)
    assert store.size(DIGEST) is None
    assert store.received(DIGEST) == 0
    store.put(DIGEST, DATA)
    assert store.has(DIGEST)
    assert store.size(DIGEST) == len(DATA)
    assert store.received(DIGEST) == len(DATA)
    assert read(store, DIGEST) == DATA
    assert (store.root / DIGEST[:2] / DIGEST[2:4] / DIGEST).is_file()
    assert store.stats() == {"count": 1, "bytes": len(DATA), "partials": 0, "partial_bytes": 0}


def test_empty_blob(store):
    empty = sha(b"")
    assert store.append(empty, 0, b"", total=0) == 0
    assert store.has(empty)
    assert read(store, empty) == b""


def test_open_missing_raises_file_not_found(store):
    with pytest.raises(FileNotFoundError):
        store.open(DIGEST)


def test_put_is_deduplicated(store):
    store.put(DIGEST, DATA)
    path = store.root / DIGEST[:2] / DIGEST[2:4] / DIGEST
    before = path.stat()
    store.put(DIGEST, DATA)
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert store.stats()["count"] == 1


def test_put_wrong_bytes_refused(store):
    with pytest.raises(DigestMismatch) as e:
        store.put(DIGEST, DATA + b"x")
    assert e.value.status == 422
    assert not store.has(DIGEST)


def test_chunked_upload_in_three_pieces(store):
    a, b = 3000, 7000
    assert store.append(DIGEST, 0, DATA[:a], total=len(DATA)) == a
    assert store.received(DIGEST) == a
    assert not store.has(DIGEST)
    assert store.append(DIGEST, a, DATA[a:b], total=len(DATA)) == b
    assert store.append(DIGEST, b, DATA[b:], total=len(DATA)) == len(DATA)
    assert store.has(DIGEST)
    assert read(store, DIGEST) == DATA
    assert store.stats()["partials"] == 0


def test_resume_after_crash_with_new_instance(tmp_path):
    first = LocalBlobStore(tmp_path)
    first.append(DIGEST, 0, DATA[:4000], total=len(DATA))
    del first  # "crash": nothing in memory survives
    second = LocalBlobStore(tmp_path)
    at = second.received(DIGEST)
    assert at == 4000
    assert second.append(DIGEST, at, DATA[at:], total=len(DATA)) == len(DATA)
    assert read(second, DIGEST) == DATA


def test_crash_between_last_write_and_rename(tmp_path):
    store = LocalBlobStore(tmp_path)
    partial = tmp_path / ".partial" / f"{DIGEST}.part"
    partial.write_bytes(DATA)  # every byte arrived, the rename never happened
    assert store.received(DIGEST) == len(DATA)
    assert not store.has(DIGEST)
    assert store.append(DIGEST, len(DATA), b"", total=len(DATA)) == len(DATA)
    assert read(store, DIGEST) == DATA
    assert not partial.exists()


def test_wrong_offset_carries_expected(store):
    store.append(DIGEST, 0, DATA[:100], total=len(DATA))
    for wrong in (0, 50, 101, 5000):
        with pytest.raises(OffsetMismatch) as e:
            store.append(DIGEST, wrong, DATA[wrong : wrong + 10], total=len(DATA))
        assert e.value.expected == 100
        assert e.value.status == 409
    assert store.received(DIGEST) == 100


def test_cut_mid_chunk_resumes_from_received(store):
    chunk = DATA[:6000]
    store.append(DIGEST, 0, chunk[:2345], total=len(DATA))  # the connection dropped here
    with pytest.raises(OffsetMismatch) as e:  # the client re-sends its whole chunk
        store.append(DIGEST, 2345 - 2345, chunk, total=len(DATA))
    at = e.value.expected
    assert at == store.received(DIGEST) == 2345
    assert store.append(DIGEST, at, DATA[at:], total=len(DATA)) == len(DATA)
    assert read(store, DIGEST) == DATA


def test_digest_mismatch_discards_partial(store):
    bad = bytearray(DATA)
    bad[5000] ^= 1
    store.append(DIGEST, 0, bytes(bad[:5000]), total=len(DATA))
    with pytest.raises(DigestMismatch) as e:
        store.append(DIGEST, 5000, bytes(bad[5000:]), total=len(DATA))
    assert e.value.status == 422
    assert not store.has(DIGEST)
    assert store.received(DIGEST) == 0
    assert store.stats()["partials"] == 0
    assert store.append(DIGEST, 0, DATA, total=len(DATA)) == len(DATA)  # start over
    assert read(store, DIGEST) == DATA


def test_too_large_refused_before_writing(tmp_path):
    store = LocalBlobStore(tmp_path, max_bytes=1000)
    with pytest.raises(BlobTooLarge) as e:
        store.append(DIGEST, 0, DATA[:10], total=len(DATA))
    assert e.value.status == 413
    with pytest.raises(BlobTooLarge):
        store.put(DIGEST, DATA)
    assert list((tmp_path / ".partial").iterdir()) == []
    assert store.received(DIGEST) == 0
    assert store.stats() == {"count": 0, "bytes": 0, "partials": 0, "partial_bytes": 0}


def test_chunk_past_total_or_negative_refused(store):
    with pytest.raises(BlobError) as e:
        store.append(DIGEST, 0, DATA, total=100)
    assert e.value.status == 400
    with pytest.raises(BlobError):
        store.append(DIGEST, -1, b"x", total=len(DATA))
    with pytest.raises(BlobError):
        store.append(DIGEST, 0, b"", total=-1)
    assert store.received(DIGEST) == 0


def test_partial_longer_than_total_restarts(store):
    store.append(DIGEST, 0, DATA[:500], total=len(DATA))
    with pytest.raises(OffsetMismatch) as e:
        store.append(DIGEST, 100, b"", total=400)  # 500 received cannot fit in 400
    assert e.value.expected == 0
    assert store.append(DIGEST, 0, DATA, total=len(DATA)) == len(DATA)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "abc",
        DIGEST.upper(),
        DIGEST[:-1],
        DIGEST + "0",
        "g" * 64,
        "../" + DIGEST[3:],
        DIGEST[:-1] + "\n",
        None,
    ],
)
def test_bad_digest_names_refused(store, name):
    for call in (
        lambda: store.has(name),
        lambda: store.size(name),
        lambda: store.open(name),
        lambda: store.received(name),
        lambda: store.append(name, 0, b"x", total=1),
        lambda: store.put(name, b"x"),
        lambda: store.delete_partial(name),
    ):
        with pytest.raises(BadDigest) as e:
            call()
        assert e.value.status == 400
        assert isinstance(e.value, ValueError)
    assert list(store.root.rglob("*")) == [store.root / ".partial"]


def test_resending_last_chunk_after_completion_is_idempotent(store):
    store.append(DIGEST, 0, DATA[:8000], total=len(DATA))
    assert store.append(DIGEST, 8000, DATA[8000:], total=len(DATA)) == len(DATA)
    path = store.root / DIGEST[:2] / DIGEST[2:4] / DIGEST
    ino = path.stat().st_ino
    # the response was lost: the client re-sends the same chunk
    assert store.append(DIGEST, 8000, DATA[8000:], total=len(DATA)) == len(DATA)
    assert store.append(DIGEST, len(DATA), b"", total=len(DATA)) == len(DATA)
    assert store.append(DIGEST, 0, DATA[:10], total=len(DATA)) == len(DATA)
    assert path.stat().st_ino == ino
    assert read(store, DIGEST) == DATA
    assert store.stats()["partials"] == 0


def test_append_after_put_reports_complete(store):
    store.append(DIGEST, 0, DATA[:1000], total=len(DATA))
    store.put(DIGEST, DATA)
    assert store.stats()["partials"] == 0
    assert store.append(DIGEST, 1000, DATA[1000:2000], total=len(DATA)) == len(DATA)


def upload(store: LocalBlobStore, data: bytes, chunk: int) -> int:
    """A client: chunks from received(), resuming from .expected on a 409."""
    digest, total = sha(data), len(data)
    at = store.received(digest)
    while True:
        try:
            at = store.append(digest, at, data[at : at + chunk], total=total)
        except OffsetMismatch as e:
            at = e.expected
            continue
        if at == total:
            return at


def test_concurrent_uploads_of_same_blob(tmp_path):
    data = os.urandom(300_000)
    shared = LocalBlobStore(tmp_path)
    # two threads share one store; two have their own (exercising the flock, not the Lock)
    stores = [shared, shared, LocalBlobStore(tmp_path), LocalBlobStore(tmp_path)]
    start = threading.Barrier(len(stores))
    results: list[int] = []
    errors: list[BaseException] = []

    def run(s: LocalBlobStore, chunk: int) -> None:
        start.wait()
        try:
            results.append(upload(s, data, chunk))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(s, c))
        for s, c in zip(stores, (4096, 7777, 10_000, 65_536), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [len(data)] * 4
    assert read(shared, sha(data)) == data
    assert shared.stats() == {"count": 1, "bytes": len(data), "partials": 0, "partial_bytes": 0}


def test_concurrent_puts_of_same_blob(tmp_path):
    store = LocalBlobStore(tmp_path)
    threads = [threading.Thread(target=store.put, args=(DIGEST, DATA)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert read(store, DIGEST) == DATA
    assert store.stats()["count"] == 1
    assert store.stats()["partials"] == 0


def test_modes_are_not_world_readable(tmp_path):
    root = tmp_path / "new" / "blobs"
    store = LocalBlobStore(root)
    store.put(DIGEST, DATA)
    other = sha(b"other")
    store.append(other, 0, b"oth", total=5)
    assert mode(root) == 0o700
    assert mode(root / ".partial") == 0o700
    assert mode(root / DIGEST[:2]) == 0o700
    assert mode(root / DIGEST[:2] / DIGEST[2:4]) == 0o700
    assert mode(root / DIGEST[:2] / DIGEST[2:4] / DIGEST) == 0o440
    assert mode(root / ".partial" / f"{other}.part") & 0o077 == 0


def test_delete_partial_and_stale_partials(store):
    old, new = sha(b"old"), sha(b"new")
    store.append(old, 0, b"o", total=3)
    store.append(new, 0, b"ne", total=3)
    os.utime(store.root / ".partial" / f"{old}.part", (1_000_000, 1_000_000))
    os.utime(store.root / ".partial" / f"{new}.part", (1_000_900, 1_000_900))
    assert store.partials_older_than(3600, now=1_004_000) == [old]
    assert store.partials_older_than(100, now=1_004_000) == sorted([old, new])
    assert store.partials_older_than(3600) == sorted([old, new])
    assert store.stats()["partials"] == 2
    assert store.stats()["partial_bytes"] == 3
    # Touched after the cutoff (a device resumed it): kept.
    assert store.delete_partial(new, untouched_since=1_000_500) is False
    assert store.received(new) == 2
    assert store.delete_partial(old, untouched_since=1_000_500) is True
    assert store.delete_partial(old) is False  # idempotent: nothing left to delete
    assert store.received(old) == 0
    assert store.partials_older_than(0, now=2_000_000) == [new]
    # A scan completed meanwhile leaves no empty partial behind, and counts as nothing.
    done = b"abc"
    store.put(sha(done), done)
    assert store.delete_partial(sha(done), untouched_since=2_000_000) is False
    assert not (store.root / ".partial" / f"{sha(done)}.part").exists()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.binary(max_size=64 * 1024), draw=st.data())
def test_property_chunked_upload_with_lost_responses(data, draw):
    total, digest = len(data), sha(data)
    cuts = sorted(set(draw.draw(st.lists(st.integers(0, total), max_size=12), label="cuts")))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True) if b > a] or [0]
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalBlobStore(Path(tmp), max_bytes=64 * 1024)
        at, step = 0, 0
        for _ in range(10_000):
            size = sizes[min(step, len(sizes) - 1)]
            chunk = data[at : at + size]
            fate = draw.draw(st.sampled_from(["ok", "ok", "lost", "cut"]), label="fate")
            try:
                if fate == "cut":  # the link dropped mid-chunk: a prefix arrived, no answer
                    k = draw.draw(st.integers(0, len(chunk)), label="prefix")
                    store.append(digest, at, chunk[:k], total=total)
                    continue
                reached = store.append(digest, at, chunk, total=total)
                if fate == "lost":  # applied, but the response never came back
                    continue
                at, step = reached, step + 1
                if at == total:
                    break
            except OffsetMismatch as e:
                at = e.expected
        assert store.has(digest)
        assert read(store, digest) == data
        assert store.received(digest) == total
        assert store.stats()["partials"] == 0


def _upload_in_process(root: str, seed: int, chunk: int) -> int:
    return upload(LocalBlobStore(Path(root)), random_bytes(seed), chunk)


def random_bytes(seed: int, n: int = 400_000) -> bytes:
    return random.Random(seed).randbytes(n)


def test_concurrent_uploads_from_processes(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        done = pool.starmap(_upload_in_process, [(str(tmp_path), 7, c) for c in (3000, 5001, 8192)])
    data = random_bytes(7)
    store = LocalBlobStore(tmp_path)
    assert done == [len(data)] * 3
    assert read(store, sha(data)) == data
    assert store.stats()["partials"] == 0
