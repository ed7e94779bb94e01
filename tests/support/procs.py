"""Real processes for end-to-end tests: the console scripts on loopback, started and stopped
in bounded waits, so a test drives the product exactly as an operator would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

BIN = Path(sys.executable).parent
HUB_BIN, AGENT_BIN = str(BIN / "daiban-hub"), str(BIN / "daiban-agent")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode in ok, f"{args[:5]} -> {done.returncode}: {done.stderr}{done.stdout}"
    return done


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


class Hub:
    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> Any:
        return run_json(HUB_BIN, "--data", str(self.data), *args)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [HUB_BIN, "--data", str(self.data), "serve", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"{self.url}/healthz", self.proc, "the hub")

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


class AgentPages:
    """`daiban-agent serve`: an outlet's pages and background sync, on its own port."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, interval_minutes: float = 60.0) -> None:
        args = ["--home", str(self.home), "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [AGENT_BIN, *args, "--interval", str(interval_minutes)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"{self.url}/signin", self.proc, "the agent's pages")

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(200):  # bounded: 20 s
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} while starting")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not start")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Ctrl-C, as a person would; killed if it has not stopped within 10 s."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
