"""The README's run command (`make run` = `python -m hub.demo.quickstart`), as a user meets it: a
hub and an outlet agent's pages come up on the ports asked for, the printed sign-in works,
`--demo` leaves traffic the statistics see, and Ctrl-C stops everything."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.procs import free_port


def start_run_command(
    data: Path, hub_port: int, pages_port: int, *extra: str
) -> tuple[subprocess.Popen[str], str]:
    """Start the run command and read its output until it says it is running."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub.demo.quickstart",
            "--data",
            str(data),
            "--port",
            str(hub_port),
            "--agent-port",
            str(pages_port),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed = ""
    deadline = time.monotonic() + 120
    while "Stop with Ctrl-C" not in printed and time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line and proc.poll() is not None:
            break
        printed += line
    return proc, printed


def test_run_command_serves_hub_and_pages_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "daiban-data"
    hub_port, pages_port = free_port(), free_port()
    proc, printed = start_run_command(data, hub_port, pages_port, "--demo")
    try:
        assert "Stop with Ctrl-C" in printed, printed
        pin = re.search(r"sign in as clerk-01 \(.+\), PIN (\d{6})", printed)
        assert pin, printed
        assert f"http://127.0.0.1:{pages_port}" in printed
        credentials = json.loads((data / "credentials.json").read_text(encoding="utf-8"))
        assert credentials["clerk"]["pin"] == pin.group(1)
        assert (data / "credentials.json").stat().st_mode & 0o077 == 0

        pages = f"http://127.0.0.1:{pages_port}"
        for _ in range(100):  # bounded: the pages come up right after the message
            try:
                sign_in = requests.get(f"{pages}/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert sign_in.status_code == 200 and 'name="code"' in sign_in.text  # names nobody
        assert f"operator / {credentials['operator']['password']}" in printed
        # The runner's phone app, and a one-time code for a phone at the village outlet.
        assert f"runner app:   http://127.0.0.1:{hub_port}/runner/" in printed
        assert re.search(r"one-time code [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4} for .+VL-", printed)
        runner = requests.get(f"http://127.0.0.1:{hub_port}/runner/", timeout=10)
        assert runner.status_code == 200 and "manifest.webmanifest" in runner.text
        hub_sign_in = requests.get(f"http://127.0.0.1:{hub_port}/signin", timeout=10)
        assert hub_sign_in.status_code == 200 and 'type="password"' in hub_sign_in.text
        token = credentials["operator"]["token"]
        stats = requests.get(
            f"http://127.0.0.1:{hub_port}/api/v1/stats",
            params={"by": "outlet"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()["total"]
        assert (stats["received"], stats["mailed"], stats["delivered"], stats["returned"]) == (
            5,
            2,
            1,
            1,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    for port in (hub_port, pages_port):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_run_command_stops_hub_and_agent_on_sigterm(tmp_path: Path) -> None:
    hub_port, pages_port = free_port(), free_port()
    proc, printed = start_run_command(tmp_path / "daiban-data", hub_port, pages_port)
    try:
        assert "Stop with Ctrl-C" in printed, printed
        assert requests.get(f"http://127.0.0.1:{hub_port}/healthz", timeout=10).ok
        proc.send_signal(signal.SIGTERM)  # as `kill` does: to this process only
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    for port in (hub_port, pages_port):  # neither was left running
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
