"""What the agent's client takes from a signed answer about scans: only what the protocol
says. A hub answering anything else (a bug, a half-upgraded hub) is a hub the round cannot
work with now, never "it holds them all" or "the upload is done", which would let the
laptop delete the only copy of a sealed scan."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from agent.client import HubClient, HubUnavailable

SHA = "ab" * 32


class Answering(HubClient):
    """The client with its signed transport answering ``body`` (the signature checks are
    the transport's own, tested against a real hub elsewhere)."""

    def __init__(self, body: Any) -> None:
        key = ed25519.Ed25519PrivateKey.generate()
        super().__init__(
            "http://127.0.0.1:9",
            key=key,
            device_id="d",
            hub_key=key.public_key(),
            clock_ms=lambda: 0,
        )
        self.body = body

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        raw = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        response._content = raw
        return response


@pytest.mark.parametrize(
    "body",
    [
        {"ok": True},
        {"ok": True, "missing": [SHA]},
        {"ok": True, "missing": {SHA: "0"}},
        {"ok": True, "missing": {SHA: -1}},
        {"ok": True, "missing": {"cd" * 32: 0}},  # a digest it was not asked about
        [1, 2],
        b"<html>portal</html>",
    ],
)
def test_a_missing_list_that_is_not_one_is_refused(body: Any) -> None:
    with pytest.raises(HubUnavailable):
        Answering(body).missing_scans([SHA])


def test_the_missing_list_as_the_protocol_says() -> None:
    assert Answering({"ok": True, "missing": {SHA: 1000}}).missing_scans([SHA]) == {SHA: 1000}


@pytest.mark.parametrize(
    "body",
    [
        {"ok": True, "offset": 10},  # no word on whether the hub holds it
        {"ok": True, "offset": "10", "complete": True},
        {"ok": True, "offset": 10, "complete": "yes"},
        b"not json",
    ],
)
def test_an_upload_answer_that_is_not_one_is_refused(body: Any) -> None:
    with pytest.raises(HubUnavailable):
        Answering(body).upload_chunk(SHA, 0, 10, b"0123456789")


def test_an_upload_answer_as_the_protocol_says() -> None:
    answer = Answering({"ok": True, "offset": 10, "complete": True})
    assert answer.upload_chunk(SHA, 0, 10, b"0123456789") == (10, True)
