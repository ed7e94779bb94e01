"""The background loop of ``serve``: stopping it waits for the round in progress."""

from __future__ import annotations

import threading
from typing import Any

from agent.home import Home
from agent.schedule import SyncLoop


def test_stopping_waits_for_the_round_in_progress_and_starts_no_other(tmp_path):
    started, release = threading.Event(), threading.Event()
    rounds: list[str] = []

    def sync() -> tuple[int, dict[str, Any]]:
        rounds.append("round")
        started.set()
        assert release.wait(10)
        return 0, {}

    loop = SyncLoop(Home(tmp_path / "home"), sync, interval_s=60)
    running = threading.Thread(target=loop.run, args=["timer"])
    running.start()
    assert started.wait(10)
    stopped = threading.Event()

    def stop() -> None:
        loop.stop()
        stopped.set()

    stopper = threading.Thread(target=stop)
    stopper.start()
    assert not stopped.wait(0.7)  # the round is still running: stop waits
    release.set()
    assert stopped.wait(10)
    running.join(10)
    stopper.join(10)
    loop.run("timer")  # after stop, no round starts
    assert rounds == ["round"]


def test_stopping_an_idle_loop_returns_at_once(tmp_path):
    loop = SyncLoop(Home(tmp_path / "home"), lambda: (0, {}), interval_s=60)
    loop.stop()
    loop.run("timer")
    assert loop.last is None  # no round ran
