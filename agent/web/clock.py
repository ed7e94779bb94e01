"""The pages' clock: the app's ``CLOCK`` (Unix milliseconds; the system clock unless a test
sets one), read here so no page reads ``time.time()`` itself."""

from __future__ import annotations

from flask import current_app

from ..clock import Clock


def now_ms() -> int:
    clock: Clock = current_app.config["CLOCK"]
    return int(clock())


def now_s() -> float:
    """The same time in seconds, as the session cookie holds its times."""
    return now_ms() / 1000
