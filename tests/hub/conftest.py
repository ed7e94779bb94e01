"""Fixtures shared by the hub's end-to-end tests: a settable clock and a served hub."""

from __future__ import annotations

import pytest

from tests.support.served import Clock, served_hub

# Monday 2026-09-21, 10:00 in China.
MONDAY_10AM = 1_789_956_000_000


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10AM)


@pytest.fixture
def hub(tmp_path, clock):
    with served_hub(tmp_path / "hub", clock) as served:
        served.outlet("PO-WUHOU-01", kind="postal", region="510107")
        served.outlet("VL-JINTANG-01", kind="village", region="510121")
        yield served
