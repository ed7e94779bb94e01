"""sync/ is pure: it imports nothing that does I/O and nothing from agent/ or hub/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SYNC = Path(__file__).parent.parent.parent / "sync"
FORBIDDEN_MODULES = {
    "agent", "hub", "flask", "requests", "sqlite3", "sqlite_utils", "socket", "apscheduler",
    "urllib.request", "http.client", "subprocess", "os", "time", "random", "secrets",
}  # fmt: skip
FORBIDDEN_CALLS = {"now", "utcnow", "time", "urandom", "getenv", "open"}


def sources() -> list[Path]:
    return sorted(SYNC.glob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.name)
def test_no_io_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = {name, name.split(".")[0]}
            assert not top & FORBIDDEN_MODULES, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.name)
def test_no_clock_or_environment_reads(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}()"
            if name == "today":  # the one documented default: resident_id(text, today=None)
                assert path.name == "validators.py", f"{path.name}:{node.lineno} reads the date"


def test_importing_sync_loads_no_network_or_database_module():
    code = (
        "import sys, sync; "
        "io = {'requests', 'flask', 'sqlite3', 'sqlite_utils', 'agent', 'hub'}; "
        "bad = io & set(sys.modules); "
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
