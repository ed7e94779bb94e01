"""The README's run command (`make run` = `python -m hub.demo.quickstart`), as a user meets it: a
hub and an outlet agent's pages come up on the ports asked for, the printed sign-in works,
`--demo` leaves traffic the statistics see, and Ctrl-C or SIGTERM stops everything promptly,
leaving no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.procs import AGENT_BIN, free_port


def start_run_command(
    data: Path, hub_port: int, pages_port: int, *extra: str, ignore_sigint: bool = False
) -> tuple[subprocess.Popen[str], str]:
    """Start the run command and read its output until it says it is running.
    ``ignore_sigint``: as a shell script's background job starts it (SIGINT ignored, for it
    and for everything it starts)."""

    def no_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

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
        preexec_fn=no_sigint if ignore_sigint else None,
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
        # The demo outlet's receipts carry a phone to call.
        phone = subprocess.run(
            [AGENT_BIN, "--home", str(data / "agent"), "outlet-phone", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(phone.stdout)["phone"] == "028-85551234"

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
        # The five of the README, each at its own step, all recorded by the clerk signed in.
        officer = {"Authorization": f"Bearer {credentials['wuhou-hrss']['token']}"}
        listed = requests.get(
            f"http://127.0.0.1:{hub_port}/api/v1/applications", headers=officer, timeout=10
        ).json()["applications"]
        assert sorted(a["status"] for a in listed) == sorted(
            [
                "delivered",
                "returned",
                "ready_for_pickup",
                "ready_for_pickup",
                "supplement_requested",
            ]
        )
        assert "one rejection" in printed and "one photo asked for" in printed
        # The printed capture records as the clerk who signs in, not a default staff code.
        assert "new --staff clerk-01 --item SS-CARD-ACT" in printed
        # The carrier's webhook secret is saved, and the message says where.
        ems = credentials["carriers"]["EMS"]
        assert (
            ems["secret"].startswith("whsec_") and ems["webhook"] == "/api/v1/carriers/EMS/events"
        )
        assert '"carriers"' in printed
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


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (Linux /proc), children and theirs."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie, already ended and waiting to be reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_command_started_by_a_script_stops_promptly_on_a_signal(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """Started as a script's background job (SIGINT ignored by it and its children) and sent
    SIGTERM, as `kill` does, to it only: the hub and the agent stop, within seconds, and no
    process it started is left. SIGINT, ignored there, changes nothing; it is sent only to
    the run command started normally (Ctrl-C reaches the whole group, this only the parent)."""
    hub_port, pages_port = free_port(), free_port()
    ignore = signum == signal.SIGTERM
    proc, printed = start_run_command(
        tmp_path / "daiban-data", hub_port, pages_port, ignore_sigint=ignore
    )
    try:
        assert "Stop with Ctrl-C" in printed, printed
        assert requests.get(f"http://127.0.0.1:{hub_port}/healthz", timeout=10).ok
        children = descendants(proc.pid)
        assert len(children) >= 2, children  # the hub and the agent (waitress, no workers)
        started = time.monotonic()
        os.kill(proc.pid, signum)  # to this process only
        assert proc.wait(timeout=15) == 0
        took = time.monotonic() - started
        assert took < 5, f"the run command took {took:.1f} s to stop"
        for _ in range(50):  # bounded: 5 s for the last child to be reaped
            left = {pid for pid in children if alive(pid)}
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"processes left running: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    for port in (hub_port, pages_port):  # neither was left running
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_the_address_offered_to_phones_is_never_loopback() -> None:
    """With --host 0.0.0.0 (or a network address) the hub is told its address for phones
    (DAIBAN_HUB_PUBLIC_URL, which the devices page offers for enrolment codes); on loopback
    no phone can reach it, and none is offered."""
    from hub.demo.quickstart import public_url

    assert public_url("127.0.0.1", 8700) is None
    assert public_url("::1", 8700) is None
    assert public_url("localhost", 8700) is None
    assert public_url("192.168.1.23", 8700) == "http://192.168.1.23:8700"
    assert public_url("fd00::5", 8700) == "http://[fd00::5]:8700"
    assert public_url("hub.local", 9700) == "http://hub.local:9700"
    anywhere = public_url("0.0.0.0", 8700)
    assert anywhere is None or (
        anywhere.endswith(":8700") and "0.0.0.0" not in anywhere and "127." not in anywhere
    )
