"""The agent's clock: Unix milliseconds, passed in as a callable wherever time is read, so that
tests can set it (the hub's ``CLOCK`` is the same shape)."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]


def now_ms() -> int:
    """The system clock in Unix milliseconds: the default of every ``Clock``."""
    return int(time.time() * 1000)
