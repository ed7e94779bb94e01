"""Content-addressed scan storage with resumable, crash-safe chunked uploads.

A blob is named by the lowercase hex SHA-256 of its bytes. An upload is a sequence of
``append`` calls; the partial file's size *is* the resume point, so a cut at any byte
(or a crash at any instant) resumes where it stopped. When the last byte arrives the
partial is hashed and atomically renamed into place. Callers use the ``BlobStore``
protocol so that an S3-compatible store can replace ``LocalBlobStore`` later.

Errors (hub.errors.HubError; ``status`` is the HTTP code the hub answers with):

* BlobError        blob.blob             400  a chunk that overruns its declared total
  - BadDigest      blob.bad_digest       400  name is not 64 lowercase hex characters
  - OffsetMismatch blob.offset_mismatch  409  chunk not at the resume point (``.expected``)
  - BlobTooLarge   blob.too_large        413  declared total (or one-shot body) too large
  - DigestMismatch blob.digest_mismatch  422  completed bytes hash to another name
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from hub.errors import HubError

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024


class BlobError(HubError):
    code = "blob.blob"
    status = 400


class BadDigest(BlobError):
    code = "blob.bad_digest"
    status = 400


class OffsetMismatch(BlobError):
    code = "blob.offset_mismatch"
    status = 409

    def __init__(self, message: str, *, expected: int) -> None:
        super().__init__(message, expected=expected)
        self.expected = expected

    def headers(self) -> dict[str, str]:
        return {"Upload-Offset": str(self.expected)}


class BlobTooLarge(BlobError):
    code = "blob.too_large"
    status = 413


class DigestMismatch(BlobError):
    code = "blob.digest_mismatch"
    status = 422


def check_digest(sha256: str) -> str:
    if not isinstance(sha256, str) or not _HEX64.fullmatch(sha256):
        raise BadDigest(f"not a lowercase hex SHA-256: {sha256!r:.80}")
    return sha256


@runtime_checkable
class BlobStore(Protocol):
    def has(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int | None: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def received(self, sha256: str) -> int: ...
    def append(self, sha256: str, offset: int, data: bytes, *, total: int) -> int: ...
    def put(self, sha256: str, data: bytes) -> None: ...
    def delete_partial(self, sha256: str, *, untouched_since: float | None = None) -> bool: ...
    def partials_older_than(self, seconds: float, now: float | None = None) -> list[str]: ...
    def stats(self) -> dict[str, int]: ...


class LocalBlobStore(BlobStore):
    """Blobs at ``root/ab/cd/<sha256>`` (mode 0o440), partials at ``root/.partial/<sha>.part``."""

    def __init__(self, root: Path, *, max_bytes: int = 50 * 1024 * 1024) -> None:
        self.root = Path(root)
        self._root_text = str(self.root)
        self.max_bytes = max_bytes
        self._partials = self.root / ".partial"
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._partials.mkdir(mode=0o700, exist_ok=True)
        self._guard = threading.Lock()
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )

    # -- paths and reads -------------------------------------------------------------

    def _path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _partial(self, sha256: str) -> Path:
        return self._partials / f"{check_digest(sha256)}.part"

    def has(self, sha256: str) -> bool:
        # Called for every scan of every pushed record: plain strings, not pathlib.
        check_digest(sha256)
        return os.path.isfile(f"{self._root_text}/{sha256[:2]}/{sha256[2:4]}/{sha256}")

    def size(self, sha256: str) -> int | None:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")  # FileNotFoundError if absent

    def received(self, sha256: str) -> int:
        done = self.size(sha256)
        if done is not None:
            return done
        try:
            return self._partial(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    # -- locking ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, sha256: str) -> Iterator[int]:
        """Hold the per-sha thread lock and an flock on the partial; yield its fd."""
        with self._guard:
            lock = self._locks.get(sha256)
            if lock is None:
                lock = self._locks[sha256] = threading.Lock()
        path = self._partial(sha256)
        with lock:
            while True:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    st = os.fstat(fd)
                    try:
                        same = os.stat(path).st_ino == st.st_ino
                    except FileNotFoundError:
                        same = False
                    if same:  # else another process renamed/removed it while we waited
                        yield fd
                        return
                finally:
                    os.close(fd)  # also releases the flock

    # -- writes ----------------------------------------------------------------------

    def _check_total(self, total: int) -> None:
        if total < 0:
            raise BlobError(f"negative total {total}")
        if total > self.max_bytes:
            raise BlobTooLarge(f"{total} bytes is over the limit of {self.max_bytes}")

    def append(self, sha256: str, offset: int, data: bytes, *, total: int) -> int:
        check_digest(sha256)
        self._check_total(total)
        if offset < 0 or offset + len(data) > total:
            raise BlobError(f"chunk {offset}+{len(data)} lies outside total {total}")
        if (done := self.size(sha256)) is not None:
            return done
        with self._locked(sha256) as fd:
            if (done := self.size(sha256)) is not None:  # completed while we waited
                os.unlink(self._partial(sha256))
                return done
            have = os.fstat(fd).st_size
            if have > total:  # cannot belong to a blob of this size: start over
                os.ftruncate(fd, 0)
                os.fsync(fd)
                have = 0
            if offset != have:
                raise OffsetMismatch(f"upload is at {have}, not {offset}", expected=have)
            _write_all(fd, data, offset)
            if offset + len(data) == total:
                self._complete(sha256, fd)
            return offset + len(data)

    def put(self, sha256: str, data: bytes) -> None:
        check_digest(sha256)
        if len(data) > self.max_bytes:
            raise BlobTooLarge(f"{len(data)} bytes is over the limit of {self.max_bytes}")
        if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), sha256):
            raise DigestMismatch(f"bytes do not hash to {sha256}")
        if self.has(sha256):
            return
        with self._locked(sha256) as fd:
            if self.has(sha256):
                os.unlink(self._partial(sha256))
                return
            os.ftruncate(fd, 0)
            _write_all(fd, data, 0)
            self._complete(sha256, fd)

    def _complete(self, sha256: str, fd: int) -> None:
        """Verify the partial (locked, fsynced) and rename it into place."""
        digest = hashlib.sha256()
        pos = 0
        while block := os.pread(fd, _CHUNK, pos):
            digest.update(block)
            pos += len(block)
        partial = self._partial(sha256)
        if not hmac.compare_digest(digest.hexdigest(), sha256):
            os.unlink(partial)
            raise DigestMismatch(f"uploaded bytes do not hash to {sha256}; start over")
        final = self._path(sha256)
        final.parent.parent.mkdir(mode=0o700, exist_ok=True)
        final.parent.mkdir(mode=0o700, exist_ok=True)
        os.fchmod(fd, 0o440)
        os.fsync(fd)
        os.replace(partial, final)
        _fsync_dir(final.parent)
        _fsync_dir(self._partials)

    def delete_partial(self, sha256: str, *, untouched_since: float | None = None) -> bool:
        """Delete an unfinished upload; with ``untouched_since`` (a Unix time) only if no
        chunk was written since then, checked under the upload's lock. Whether it was."""
        check_digest(sha256)
        with self._locked(sha256) as fd:
            st = os.fstat(fd)
            stale = untouched_since is None or st.st_mtime < untouched_since
            if stale or st.st_size == 0:  # empty: made just now by the lock itself
                os.unlink(self._partial(sha256))
            return stale and st.st_size > 0

    # -- housekeeping ----------------------------------------------------------------

    def partials_older_than(self, seconds: float, now: float | None = None) -> list[str]:
        cutoff = (time.time() if now is None else now) - seconds
        old = []
        for entry in os.scandir(self._partials):
            sha, ext = os.path.splitext(entry.name)
            if ext == ".part" and _HEX64.fullmatch(sha):
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < cutoff:
                        old.append(sha)
        return sorted(old)

    def stats(self) -> dict[str, int]:
        count = size = partials = partial_bytes = 0
        for path in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            if _HEX64.fullmatch(path.name):
                with contextlib.suppress(FileNotFoundError):
                    size += path.stat().st_size
                    count += 1
        for path in self._partials.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                partial_bytes += path.stat().st_size
                partials += 1
        return {
            "count": count,
            "bytes": size,
            "partials": partials,
            "partial_bytes": partial_bytes,
        }


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n
    os.fsync(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
