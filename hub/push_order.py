"""Pushes of one device in a row: a batch sent ``after`` another is applied after it.

An agent keeps two pushes on the wire, so the hub checks and decodes the second while it
applies the first. The second names the first (``after``); its request waits here until
the first is applied, then goes on. A later batch may amend a record of the earlier one,
so it must never be applied first.

A predecessor that is being applied is waited for up to ``APPLY_WAIT_S``. One that has not
reached the app (lost on its way, slower, or queued behind busy server threads) is waited
for only ``ARRIVAL_WAIT_S``: then the push is refused (409 ``batch.out_of_order``, nothing
changed) and the device sends it again after the earlier one. At most ``max_waiting``
requests wait at once, so that waiting pushes cannot take every server thread from the
predecessors they wait for; beyond that a push is refused at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

ARRIVAL_WAIT_S = 2.0
APPLY_WAIT_S = 30.0
MAX_WAITING = 4  # half the served hub's default 8 threads


class PushOrder:
    """The batches being pushed right now, in this process, and who waits for them."""

    def __init__(
        self, *, arrival_wait_s: float = ARRIVAL_WAIT_S, max_waiting: int = MAX_WAITING
    ) -> None:
        self.arrival_wait_s = arrival_wait_s
        self.max_waiting = max_waiting
        self._changed = threading.Condition()
        self._running: Counter[str] = Counter()  # a retry may overlap its first try
        self._waiting = 0

    @contextlib.contextmanager
    def running(self, batch_id: str) -> Iterator[None]:
        """Mark a batch as on its way in, from its arrival until it is applied (or not)."""
        with self._changed:
            self._running[batch_id] += 1
        try:
            yield
        finally:
            with self._changed:
                self._running[batch_id] -= 1
                if not self._running[batch_id]:
                    del self._running[batch_id]
                self._changed.notify_all()

    def wait_for(self, batch_id: str, applied: Callable[[], bool]) -> bool:
        """Wait until ``applied()`` (the predecessor is in the database); False on timeout.

        ``applied`` is asked again whenever a push of this process ends, and every half
        second for one applied by another process on the same database.
        """
        start = time.monotonic()
        with self._changed:
            if applied():
                return True
            if self._waiting >= self.max_waiting:
                return False
            self._waiting += 1
            try:
                while not applied():
                    limit = APPLY_WAIT_S if batch_id in self._running else self.arrival_wait_s
                    left = start + limit - time.monotonic()
                    if left <= 0:
                        return False
                    self._changed.wait(min(left, 0.5))
            finally:
                self._waiting -= 1
        return True
