"""The agent's HTTP client for the hub: signs every request, trusts only signed answers.

Errors:
* HubUnavailable   the hub could not be reached or did not answer as the hub: no network,
                   timeout, a 5xx, or an answer whose hub signature does not verify (a
                   captive portal, a proxy). Work is kept; try again later.
* HubRefused       the hub answered (signed) and refused: ``code``, ``status``, ``message``.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ed25519

from sync import signing
from sync.errors import ProtocolError
from sync.replies import Ack, FeedPage, decode_ack, decode_page

FRAME_TYPE = "application/vnd.daiban.frame"


class HubUnavailable(Exception):
    """The hub was not reached, or what answered was not the hub."""


class HubRefused(Exception):
    """The hub refused the request; ``code`` is its stable error code."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{message} ({code})")
        self.status, self.code, self.message, self.body = status, code, message, body


def enroll(
    url: str,
    code: str,
    public_key: str,
    *,
    label: str,
    agent_version: str,
    previous: dict[str, str] | None = None,
    timeout: float = 20,
) -> dict[str, Any]:
    """Enrol with a one-time code (unsigned: the code is the credential).

    ``previous`` ({device_id, signature}): the home's former device, whose key signed the
    new one (signing.sign_succession), so the hub lets the new device send its numbers."""
    payload: dict[str, Any] = {
        "code": code,
        "public_key": public_key,
        "label": label,
        "agent_version": agent_version,
    }
    if previous is not None:
        payload["previous"] = previous
    try:
        response = requests.post(
            f"{url.rstrip('/')}/api/v1/enroll",
            json=payload,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise HubUnavailable(f"cannot reach {url}: {exc.__class__.__name__}") from None
    try:
        body = response.json()
    except ValueError:
        raise HubUnavailable(
            f"{url} did not answer as a Daiban hub (HTTP {response.status_code})"
        ) from None
    if response.status_code != 200 or not body.get("ok"):
        raise HubRefused(response.status_code, str(body.get("code")), str(body.get("error")), body)
    return body


def _json_object(response: requests.Response) -> dict[str, Any]:
    """A signed answer's JSON object, or HubUnavailable: a hub answering what the protocol
    does not say is a hub that cannot be worked with now, not a success."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HubUnavailable("the hub's answer is not the JSON object the protocol says")
    return body


class HubClient:
    """Signed requests to one hub as one device, with bounded retries."""

    def __init__(
        self,
        url: str,
        *,
        key: ed25519.Ed25519PrivateKey,
        device_id: str,
        hub_key: ed25519.Ed25519PublicKey,
        clock_ms: Callable[[], int],
        offset_ms: int = 0,
        heartbeat: Callable[[], dict[str, Any]] | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.hub_key = hub_key
        self.clock_ms = clock_ms
        self.offset_ms = offset_ms  # hub clock minus device clock, learnt from signed answers
        self.heartbeat = heartbeat or (lambda: {})
        self.timeout, self.attempts = timeout, attempts
        self.backoff, self.max_backoff = backoff, max_backoff
        self.requests = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self._counting = threading.Lock()  # scans are sent from two threads at once
        # The hub applies pushes in the order they name (after=): more than one may travel.
        # Learnt from its answers; an older hub applies them as they arrive.
        self.orders_pushes = False
        self.session = requests.Session()
        self.session.auth = signing.RequestAuth(
            key=key,
            key_id=device_id,
            # The raw clock and its correction apart: the hub then measures the skew of the
            # clock that stamped the records at each send, not at the frame's first send.
            clock_ms=lambda: self.clock_ms(),
            offset_ms=lambda: self.offset_ms,
            nonces=lambda: secrets.token_urlsafe(16),
        )

    # --- plumbing ---------------------------------------------------------------------------

    def _verify(self, response: requests.Response) -> None:
        prepared = response.request
        try:
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
        except ProtocolError as exc:
            raise HubUnavailable(
                f"the answer (HTTP {response.status_code}) is not signed by the hub: "
                "a captive portal or proxy may be in the way"
            ) from exc

    def _learn_clock(self, hub_time: Any) -> None:
        if isinstance(hub_time, int):
            self.offset_ms = hub_time - self.clock_ms()

    def request(
        self,
        method: str,
        path: str,
        *,
        heartbeat: dict[str, Any] | None = None,
        attempts: int | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send, retrying network failures and 5xx with capped exponential backoff.

        ``heartbeat``: values read beforehand, for a request sent from another thread than the
        one that owns the database the heartbeat callback reads. ``attempts``: instead of the
        client's own number, for a request that is only worth one try.
        """
        beat = self.heartbeat() if heartbeat is None else heartbeat
        params = {**beat, **kwargs.pop("params", {})}
        last: Exception | None = None
        resigned = False
        for attempt in range(attempts or self.attempts):
            if attempt:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                time.sleep(delay * random.uniform(0.5, 1.0))  # jitter: outlets don't stampede
            try:
                response = self.session.request(
                    method, self.url + path, params=params, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
                last = HubUnavailable(f"cannot reach the hub: {exc.__class__.__name__}")
                continue
            body = response.request.body
            received = len(response.content) + sum(
                len(k) + len(v) + 4 for k, v in response.headers.items()
            )
            sent = len(body or b"") + sum(
                len(k) + len(v) + 4 for k, v in response.request.headers.items()
            )
            with self._counting:
                self.requests += 1
                self.bytes_received += received
                self.bytes_sent += sent
            if response.status_code >= 500:
                last = HubUnavailable(f"the hub failed (HTTP {response.status_code})")
                continue
            self._verify(response)
            if response.headers.get("Daiban-Push-Order") == "1":
                self.orders_pushes = True
            if response.status_code < 400:
                return response
            error = self._error_body(response)
            if error.get("code") == "stale_signature" and not resigned:
                # The device clock is off: take the hub's time (signed answer) and re-sign once.
                self._learn_clock(error.get("hub_time"))
                resigned = True
                continue
            raise HubRefused(
                response.status_code, str(error.get("code")), str(error.get("error")), error
            )
        assert last is not None
        raise last

    @staticmethod
    def _error_body(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {"code": "http_error", "error": f"HTTP {response.status_code}"}
        return body if isinstance(body, dict) else {"code": "http_error", "error": str(body)}

    # --- the protocol -------------------------------------------------------------------------

    def push(
        self,
        frame: bytes,
        *,
        heartbeat: dict[str, Any] | None = None,
        feed: bool = False,
        after: str | None = None,
    ) -> Ack:
        """Push a batch frame; ``feed``: ask for the feed records it makes in the answer;
        ``after``: the batch the hub must apply before this one (both may be on the wire)."""
        params: dict[str, Any] = {"feed": 1} if feed else {}
        if after is not None:
            params["after"] = after
        response = self.request(
            "POST",
            "/api/v1/sync/push",
            heartbeat=heartbeat,
            params=params,
            data=frame,
            headers={"Content-Type": FRAME_TYPE},
        )
        try:
            ack = decode_ack(response.content)
        except ProtocolError as exc:
            raise HubUnavailable(f"the hub's acknowledgement is unreadable: {exc}") from None
        self._learn_clock(ack.hub_time)
        return ack

    def pull(
        self,
        cursor: int,
        *,
        state: str | None = None,
        limit: int = 500,
        heartbeat: dict[str, Any] | None = None,
        attempts: int | None = None,
    ) -> FeedPage:
        params: dict[str, Any] = {"cursor": cursor, "limit": limit}
        if state:
            params["state"] = state
        response = self.request(
            "GET", "/api/v1/sync/pull", heartbeat=heartbeat, attempts=attempts, params=params
        )
        try:
            page = decode_page(response.content)
        except ProtocolError as exc:
            raise HubUnavailable(f"the hub's feed page is unreadable: {exc}") from None
        self._learn_clock(page.hub_time)
        return page

    def missing_scans(self, digests: list[str]) -> dict[str, int]:
        """The digests the hub lacks, each with the offset its partial upload reached. An
        answer that is not such a list of the digests asked about is not taken for one: a
        hub that forgot ``missing`` would otherwise read as "holds them all"."""
        response = self.request(
            "POST",
            "/api/v1/blobs/query",
            data=json.dumps({"sha256": digests}),
            headers={"Content-Type": "application/json"},
        )
        missing = _json_object(response).get("missing")
        asked = set(digests)
        if not isinstance(missing, dict) or not all(
            sha in asked and type(offset) is int and offset >= 0 for sha, offset in missing.items()
        ):
            raise HubUnavailable("the hub's list of missing scans is unreadable")
        return dict(missing)

    def upload_chunk(
        self,
        sha256: str,
        offset: int,
        total: int,
        data: bytes,
        *,
        heartbeat: dict[str, Any] | None = None,
    ) -> tuple[int, bool]:
        """Append a chunk (an empty one at the end asks the hub to complete the scan, or says
        it holds it): the hub's offset after it (a mismatch gives the offset to resume) and
        whether the hub now holds the whole scan, checked against its digest."""
        try:
            response = self.request(
                "PATCH",
                f"/api/v1/blobs/{sha256}",
                heartbeat=heartbeat,
                data=data,
                params={"offset": offset, "total": total},
                headers={"Content-Type": "application/octet-stream"},
            )
        except HubRefused as exc:
            if exc.code == "blob.offset_mismatch" and isinstance(exc.body.get("expected"), int):
                return int(exc.body["expected"]), False
            raise
        answer = _json_object(response)
        got, complete = answer.get("offset"), answer.get("complete")
        if type(got) is not int or not isinstance(complete, bool):
            raise HubUnavailable("the hub's answer to a scan upload is unreadable")
        return got, complete
