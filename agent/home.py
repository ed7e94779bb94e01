"""The agent's home folder: database, device key, scans, and the sync lock.

HOME/agent.db        SQLite (WAL): applications, outbox, feed view, settings
HOME/keys/device.pem the device's Ed25519 key, owner-only
HOME/scans/ab/<sha>  scanned pages, sealed to the hub's key, until the hub has them
HOME/sync.lock       held during a sync round, so two rounds never run at once,
                     whether from `sync`, `serve` or a second terminal

Everything in it is the agent user's alone, whatever the umask: folders 0700, files 0600
(agent.db is made 0600 before SQLite opens it, and SQLite gives agent.db-wal and
agent.db-shm the database's mode). A home an older agent left readable is tightened when
it is opened.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlite_utils import Database

from .store import open_db

DIR_MODE = 0o700
FILE_MODE = 0o600
_DATABASE_FILES = ("agent.db", "agent.db-wal", "agent.db-shm", "agent.db-journal")


def _owner_only(path: Path, mode: int) -> None:
    """Take group and others' access away from ``path`` if it exists (and is ours to change:
    an outlet keeps working on a home it cannot tighten)."""
    with suppress(FileNotFoundError, PermissionError):
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)


def _create_owner_only(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (umask cannot widen 0600)."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


class SyncBusy(Exception):
    """Another sync round holds this home folder's lock."""


class Home:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def database(self) -> Path:
        return self.root / "agent.db"

    @property
    def key_file(self) -> Path:
        return self.root / "keys" / "device.pem"

    def ensure(self) -> None:
        """Make the home's folders, owner-only, and tighten what an older agent left open."""
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        for folder in (self.root, self.root / "keys", self.root / "scans"):
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
            _owner_only(folder, DIR_MODE)  # mkdir's mode is masked by the umask, or not new
        keys = [*(self.root / "keys").glob("*"), *self.root.glob("*.key")]
        for path in [self.root / "sync.lock", *keys]:
            if not path.is_symlink() and path.is_file():
                _owner_only(path, FILE_MODE)

    def open(self) -> Database:
        self.ensure()
        # SQLite would create the database 0644 (less the umask), and its -wal and -shm files
        # with the database's mode: made 0600 first, all three are owner-only.
        _create_owner_only(self.database)
        for name in _DATABASE_FILES:
            _owner_only(self.root / name, FILE_MODE)
        return open_db(self.database)

    def save_device_key(self, key: ed25519.Ed25519PrivateKey) -> None:
        """Write the device key owner-only (after enrolment succeeded); keep the old one."""
        self.ensure()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = self.key_file.with_suffix(".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        if self.key_file.exists():
            os.replace(self.key_file, self.key_file.with_suffix(".old"))
        os.replace(tmp, self.key_file)

    def device_key(self) -> ed25519.Ed25519PrivateKey:
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ValueError(f"{self.key_file} is not an Ed25519 key")
        return key

    # --- scans ----------------------------------------------------------------------------

    def scan_path(self, sha256: str) -> Path:
        return self.root / "scans" / sha256[:2] / sha256

    def store_scan(
        self, source: Path, *, seal: Callable[[bytes], bytes] | None = None
    ) -> tuple[str, int]:
        """Keep a scanned file (sealed by ``seal`` first) under its SHA-256; (digest, size)."""
        data = source.read_bytes()
        if seal is not None:
            data = seal(data)
        sha = hashlib.sha256(data).hexdigest()
        target = self.scan_path(sha)
        if not target.exists():
            target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            _owner_only(target.parent, DIR_MODE)
            tmp = target.with_suffix(".part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        return sha, len(data)

    # --- one sync round at a time -----------------------------------------------------------

    @contextmanager
    def sync_lock(self) -> Iterator[None]:
        self.ensure()
        lock = self.root / "sync.lock"
        with open(lock, "a+", opener=lambda p, f: os.open(p, f, FILE_MODE)) as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SyncBusy("another sync round is running on this home folder") from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
