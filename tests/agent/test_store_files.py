"""The agent's home folder is owner-only: the database, its WAL files, keys and scans.

The database holds masked personal data, the outbox of sealed records and the hub's keys; the
device key signs for the outlet. Nobody but the agent's own user may read them, whatever the
umask, and a home folder an older agent left readable is tightened when it is opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from agent.cli import cli
from agent.home import Home
from tests.support.served import ServedHub

CLEAN_ENV = {"DAIBAN_LANG": None, "DAIBAN_AGENT_HOME": None}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def enrol(home: Path, hub: ServedHub, outlet: str = "PO-WUHOU-01") -> None:
    """As ``daiban-agent enroll`` does it: the CLI, against the served hub."""
    result = CliRunner().invoke(
        cli,
        ["--home", str(home), "enroll", hub.url, hub.enrolment_code(outlet), "--json"],
        env=CLEAN_ENV,
    )
    assert result.exit_code == 0, (result.output, result.exception)


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def dirs_of(root: Path) -> list[Path]:
    return sorted([root, *(p for p in root.rglob("*") if p.is_dir())])


def test_an_enrolled_home_is_owner_only(hub, tmp_path):
    root = tmp_path / "agent"
    enrol(root, hub)
    home = Home(root)
    db = home.open()  # open, in WAL mode: agent.db-wal and agent.db-shm exist now
    try:
        with db.conn:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', '1')")
        names = {p.name for p in files_of(root)}
        assert {"agent.db", "agent.db-wal", "agent.db-shm", "device.pem"} <= names, names
        for path in files_of(root):
            assert mode(path) == 0o600, f"{path.relative_to(root)} is {oct(mode(path))}"
        for path in dirs_of(root):
            assert mode(path) == 0o700, f"{path} is {oct(mode(path))}"
    finally:
        db.close()


def test_owner_only_whatever_the_umask(hub, tmp_path):
    root = tmp_path / "agent"
    old = os.umask(0)  # the loosest umask: nothing is taken away from what is asked for
    try:
        enrol(root, hub)
        db = Home(root).open()
        try:
            modes = {p.name: mode(p) for p in files_of(root)}
            modes.update({f"{p.name}/": mode(p) for p in dirs_of(root)})
        finally:
            db.close()
    finally:
        os.umask(old)
    assert modes["agent.db"] == modes["agent.db-wal"] == modes["agent.db-shm"] == 0o600, modes
    assert {m for n, m in modes.items() if not n.endswith("/")} == {0o600}, modes
    assert {m for n, m in modes.items() if n.endswith("/")} == {0o700}, modes


def test_a_home_an_older_agent_left_readable_is_tightened_when_opened(hub, tmp_path):
    root = tmp_path / "agent"
    enrol(root, hub)
    for path in files_of(root):
        path.chmod(0o644)
    for path in dirs_of(root):
        path.chmod(0o755)
    db = Home(root).open()
    try:
        assert mode(root) == 0o700 and mode(root / "keys") == 0o700
        for name in ("agent.db", "agent.db-wal", "agent.db-shm"):
            assert mode(root / name) == 0o600, name
        assert mode(root / "keys" / "device.pem") == 0o600
    finally:
        db.close()


def test_a_new_scan_and_the_sync_lock_are_owner_only(tmp_path):
    home = Home(tmp_path / "agent")
    page = tmp_path / "page.jpg"
    page.write_bytes(b"\xff\xd8 a scanned page")
    sha, _ = home.store_scan(page)
    assert mode(home.scan_path(sha)) == 0o600
    assert mode(home.scan_path(sha).parent) == 0o700
    with home.sync_lock():
        assert mode(home.root / "sync.lock") == 0o600
