"""The product's console scripts, run as an operator would (the quick start and the demo
traffic drive the real programs, not their insides)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def tool(name: str) -> str:
    """The console script beside this Python (the venv's), or on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])}... failed: {done.stderr.strip() or done.stdout}")
    return done.stdout
