"""A minimal device built only from sync/ and requests: what the agent will do, by hand.

It signs every request, checks every answer's hub signature, and refuses to trust an answer
that does not verify, so tests exercise the same contract a real agent relies on.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from sync import signing
from sync.batch import Batch, encode_batch, new_batch
from sync.ids import uuid7
from sync.records import UplinkRecord
from sync.replies import Ack, FeedPage, decode_ack, decode_page
from sync.sealing import sealing_key_from_text

from .served import Clock


@dataclass
class Device:
    url: str
    clock: Clock
    key: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)
    device_id: str = ""
    tag: str = ""
    outlet: dict[str, Any] = field(default_factory=dict)
    hub_key: ed25519.Ed25519PublicKey | None = None
    sealing_key: x25519.X25519PublicKey | None = None
    catalogue: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    offset_ms: int = 0  # how wrong this device's clock is
    session: requests.Session = field(default_factory=requests.Session)

    def enroll(self, code: str) -> dict[str, Any]:
        response = self.session.post(
            f"{self.url}/api/v1/enroll",
            json={"code": code, "public_key": signing.public_key_to_text(self.key.public_key())},
            timeout=10,
        )
        body = response.json()
        if response.status_code != 200:
            return body
        self.device_id, self.tag, self.outlet = body["device_id"], body["tag"], body["outlet"]
        self.hub_key = signing.public_key_from_text(body["hub"]["signing_key"])
        self.sealing_key = sealing_key_from_text(body["hub"]["sealing_key"])
        self.catalogue = body["catalogue"]
        self.session.auth = signing.RequestAuth(
            key=self.key,
            key_id=self.device_id,
            clock=lambda: (self.clock() + self.offset_ms) // 1000,
            nonces=lambda: secrets.token_urlsafe(16),
        )
        return body

    def batch(self, records: Sequence[UplinkRecord]) -> Batch:
        self.seq += 1
        return new_batch(
            device=self.device_id,
            batch_id=uuid7(self.clock(), secrets.token_bytes(10)),
            seq=self.seq,
            sent_at=self.clock(),
            records=records,
        )

    def verified(self, response: requests.Response) -> requests.Response:
        """Raise BadSignature unless the answer is the hub's, for this very request."""
        assert self.hub_key is not None
        prepared = response.request
        signing.verify_response(
            status=response.status_code,
            headers=list(response.headers.items()),
            body=response.content,
            key=self.hub_key,
            key_id="hub",
            request_method=str(prepared.method),
            request_target=str(prepared.path_url),
            request_headers=list(prepared.headers.items()),
        )
        return response

    def push_frame(self, frame: bytes, **params: Any) -> requests.Response:
        return self.session.post(
            f"{self.url}/api/v1/sync/push",
            data=frame,
            params=params,
            headers={"Content-Type": "application/vnd.daiban.frame"},
            timeout=30,
        )

    def push(self, records: Sequence[UplinkRecord]) -> Ack:
        response = self.verified(self.push_frame(encode_batch(self.batch(records))))
        assert response.status_code == 200, response.text
        return decode_ack(response.content)

    def pull(self, cursor: int = 0, **params: Any) -> FeedPage:
        response = self.verified(
            self.session.get(
                f"{self.url}/api/v1/sync/pull", params={"cursor": cursor, **params}, timeout=30
            )
        )
        assert response.status_code == 200, response.text
        return decode_page(response.content)

    def pull_all(self, cursor: int = 0) -> tuple[list[Any], int]:
        records: list[Any] = []
        for _ in range(1000):  # bounded: a feed longer than this is a bug in a test
            page = self.pull(cursor)
            records.extend(page.records)
            cursor = page.next_cursor
            if not page.more:
                break
        return records, cursor
