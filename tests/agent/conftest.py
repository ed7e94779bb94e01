"""A served hub with two outlets, and agents enrolled at them, for end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.client import HubClient, enroll
from agent.home import Home
from agent.store import local, meta, write
from sync.signing import public_key_from_text, public_key_to_text
from tests.support.served import Clock, ServedHub, served_hub


@pytest.fixture
def clock() -> Clock:
    return Clock(int(time.time() * 1000))


@pytest.fixture
def hub(tmp_path: Path, clock: Clock) -> Iterator[ServedHub]:
    with served_hub(tmp_path / "hub", clock) as served:
        served.outlet("PO-WUHOU-01", kind="postal", region="510107")
        served.outlet("TS-JINTANG-01", kind="township", region="510121")
        yield served


class Agent:
    """An enrolled agent home, driven through the agent's own modules."""

    def __init__(self, root: Path, hub: ServedHub, outlet: str, *, url: str | None = None):
        from cryptography.hazmat.primitives.asymmetric import ed25519

        self.home = Home(root)
        self.db = self.home.open()
        self.hub = hub
        key = ed25519.Ed25519PrivateKey.generate()
        body = enroll(
            url or hub.url,
            hub.enrolment_code(outlet),
            public_key_to_text(key.public_key()),
            label="test",
            agent_version="test",
        )
        self.home.save_device_key(key)
        with write(self.db):
            meta.put(
                self.db,
                "device",
                {
                    "device_id": body["device_id"],
                    "tag": body["tag"],
                    "outlet": body["outlet"],
                    "hub_url": url or hub.url,
                    "hub_signing_key": body["hub"]["signing_key"],
                    "hub_sealing_key": body["hub"]["sealing_key"],
                    "enrolled_at": hub.clock(),
                },
            )
            import json

            local.save_catalogue(
                self.db,
                version=body["catalogue"]["version"],
                body=json.dumps(body["catalogue"], ensure_ascii=False),
                now=hub.clock(),
            )

    def application(self, app_id: str) -> dict[str, Any]:
        """The device's row for an application the test made."""
        app = local.get_application(self.db, app_id)
        assert app is not None, f"no application {app_id} on the device"
        return app

    def client(self, url: str | None = None, **kw: Any) -> HubClient:
        device = meta.get(self.db, "device")
        return HubClient(
            url or device["hub_url"],
            key=self.home.device_key(),
            device_id=device["device_id"],
            hub_key=public_key_from_text(device["hub_signing_key"]),
            clock_ms=self.hub.clock,
            backoff=0.01,
            **kw,
        )
