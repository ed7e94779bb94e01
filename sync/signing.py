"""Device identity and HTTP request signing (RFC 9421 HTTP Message Signatures).

A device holds an Ed25519 key; the hub knows its public key from enrolment. Every request is
signed over its method, path, query and Content-Digest (RFC 9530, SHA-256 of the body as sent),
with a ``created`` time, a random ``nonce`` and the tag ``daiban/1``. The hub refuses a
signature whose created time is outside its window, or whose nonce it has seen, so a captured
request cannot be replayed. The hub signs each answer the same way, covering its status, its
Content-Digest and the request's own signature, so an answer is bound to the request it
answers: a captive portal's 200, or a proxy's cached page, does not verify.

The RFC 9421 mechanics (signature base, structured fields, Ed25519) are the
``http-message-signatures`` library's; this module fixes the profile and maps every failure to
the protocol's errors. Nothing here reads a clock or the network: callers pass ``now``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from .errors import BadSignature, InvalidValue, ProtocolError, ReplayedSignature, StaleSignature

LABEL = "daiban"
TAG = "daiban/1"
REQUEST_COMPONENTS = ("@method", "@path", "@query", "content-digest")
RESPONSE_COMPONENTS = (
    "@status",
    "content-digest",
    '"@method";req',
    '"@path";req',
    '"@query";req',
    f'"signature";req;key="{LABEL}"',
)
DEFAULT_WINDOW = 300  # seconds either side of the verifier's clock
_NONCE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_ORIGIN = "http://daiban.invalid"  # only path and query are covered: no host, no scheme


# --- keys ---------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_key_to_text(key: ed25519.Ed25519PublicKey) -> str:
    """An Ed25519 public key as base64url of its 32 raw bytes."""
    return _b64(key.public_bytes_raw())


def public_key_from_text(text: str) -> ed25519.Ed25519PublicKey:
    """Parse an Ed25519 public key sent as base64url; InvalidValue if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise InvalidValue("public key is not base64url", field="public_key") from None
    if len(raw) != 32:
        raise InvalidValue(f"public key must be 32 bytes, got {len(raw)}", field="public_key")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def private_key_from_bytes(raw: bytes) -> ed25519.Ed25519PrivateKey:
    """An Ed25519 private key from its 32-byte seed (as test vectors give it)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


# --- succession: a home enrolled again vouches for its new key with its old one -----------

SUCCESSION_CONTEXT = b"daiban-succession-v1\n"


def succession_message(new_public_key: str) -> bytes:
    """What the old device key signs to name its successor (protocol.md section 4.3): the
    context line, then the new key's text (base64url, so it holds no newline)."""
    return SUCCESSION_CONTEXT + new_public_key.encode("ascii")


def sign_succession(old_key: ed25519.Ed25519PrivateKey, new_public_key: str) -> str:
    """The old key's signature over ``succession_message``, as base64url."""
    return _b64(old_key.sign(succession_message(new_public_key)))


def verify_succession(
    old_key: ed25519.Ed25519PublicKey, new_public_key: str, signature: str
) -> bool:
    """True if ``signature`` is the old key's over ``succession_message(new_public_key)``."""
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        old_key.verify(raw, succession_message(new_public_key))
    except (binascii.Error, ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- message views the library signs ------------------------------------------------------


@dataclass
class _Request:
    method: str
    url: str
    headers: dict[str, str]


@dataclass
class _Response:
    status_code: int
    headers: dict[str, str]
    request: _Request


def _headers(source: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    pairs = source.items() if isinstance(source, Mapping) else source
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _request(
    method: str, target: str, headers: Mapping[str, str] | Iterable[tuple[str, str]]
) -> _Request:
    if not target.startswith("/"):
        raise BadSignature("request target must start with '/'")
    return _Request(method=method.upper(), url=_ORIGIN + target, headers=_headers(headers))


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key_id: str, private: Any = None, public: Any = None) -> None:
        self.key_id, self.private, self.public = key_id, private, public
        self.error: ProtocolError | None = None

    def resolve_private_key(self, key_id: str) -> Any:
        return self.private

    def resolve_public_key(self, key_id: str) -> Any:
        if key_id != self.key_id or self.public is None:
            self.error = BadSignature(f"signed by {key_id!r}, expected {self.key_id!r}")
            raise self.error
        return self.public


class _Verifier(HTTPMessageVerifier):
    # The window is checked here against the caller's clock, not the library's.
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


@dataclass(frozen=True)
class Signed:
    """What a verified signature vouches for."""

    key_id: str
    created: int
    nonce: str
    covered: dict[str, str] = field(default_factory=dict)


def _sign(
    message: Any,
    *,
    components: tuple[str, ...],
    body: bytes,
    key: Any,
    key_id: str,
    created: int,
    nonce: str,
) -> dict[str, str]:
    if not _NONCE.match(nonce):
        raise InvalidValue("nonce must be 16-64 base64url characters", field="nonce")
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(key_id, private=key)
    )
    try:
        signer.sign(
            message,
            key_id=key_id,
            created=dt.datetime.fromtimestamp(created, dt.UTC),
            nonce=nonce,
            label=LABEL,
            tag=TAG,
            covered_component_ids=components,
            body=body,
        )
    except (HTTPMessageSignaturesException, ValueError, TypeError, KeyError) as exc:
        # Signing an answer reads the request's own Signature header, which may be anything.
        raise BadSignature(f"cannot sign: {exc}") from exc
    written = {name.lower(): value for name, value in message.headers.items()}
    return {
        "Content-Digest": written["content-digest"],
        "Signature-Input": written["signature-input"],
        "Signature": written["signature"],
    }


def _verify(
    message: Any, *, components: tuple[str, ...], body: bytes, resolver: HTTPSignatureKeyResolver
) -> Signed:
    if "signature" not in message.headers or "signature-input" not in message.headers:
        raise BadSignature("message is not signed (no Signature / Signature-Input)")
    verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    try:
        results = verifier.verify(
            message,
            max_age=None,
            expect_tag=TAG,
            expect_label=LABEL,
            require_components=components,
            body=body,
        )
    except (HTTPMessageSignaturesException, ValueError, TypeError, KeyError) as exc:
        # The library wraps what the key lookup raised; give the caller the original
        # (an unknown or revoked device has its own code).
        if isinstance(exc, ProtocolError):
            raise
        lookup_error = getattr(resolver, "error", None)
        if isinstance(lookup_error, ProtocolError):
            raise lookup_error from exc
        reason = str(exc) or "signature does not match the message"
        raise BadSignature(f"signature does not verify: {reason}") from exc
    params = results[0].parameters
    created, nonce, key_id = params.get("created"), params.get("nonce"), params.get("keyid")
    if not isinstance(created, int) or not isinstance(nonce, str) or not isinstance(key_id, str):
        raise BadSignature("signature lacks created, nonce or keyid")
    return Signed(
        key_id=key_id, created=created, nonce=nonce, covered=results[0].covered_components
    )


def sign_request(
    *,
    method: str,
    target: str,
    body: bytes,
    key: ed25519.Ed25519PrivateKey,
    key_id: str,
    created: int,
    nonce: str,
) -> dict[str, str]:
    """Headers to add to a request: Content-Digest, Signature-Input, Signature.

    ``target`` is the path and query exactly as sent (``/api/v1/sync/pull?cursor=12``).
    """
    return _sign(
        _request(method, target, {}),
        components=REQUEST_COMPONENTS,
        body=body,
        key=key,
        key_id=key_id,
        created=created,
        nonce=nonce,
    )


KeyLookup = Callable[[str], ed25519.Ed25519PublicKey | None]


class _LookupResolver(HTTPSignatureKeyResolver):
    def __init__(self, lookup: KeyLookup) -> None:
        self.lookup = lookup
        self.error: ProtocolError | None = None

    def resolve_public_key(self, key_id: str) -> Any:
        try:
            key = self.lookup(key_id)  # may raise a ProtocolError of its own (revoked...)
        except ProtocolError as exc:
            self.error = exc
            raise
        if key is None:
            self.error = BadSignature(f"unknown device key {key_id!r}")
            raise self.error
        return key

    def resolve_private_key(self, key_id: str) -> Any:  # pragma: no cover - verify only
        raise BadSignature("verifier holds no private keys")


def verify_request(
    *,
    method: str,
    target: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    resolve_key: KeyLookup,
    now: int,
    window: int = DEFAULT_WINDOW,
) -> Signed:
    """Verify a signed request; BadSignature / StaleSignature if it must be refused.

    Replay (a nonce seen before) is for the caller to check against what it stores, for
    example with ``ReplayGuard``.
    """
    signed = _verify(
        _request(method, target, headers),
        components=REQUEST_COMPONENTS,
        body=body,
        resolver=_LookupResolver(resolve_key),
    )
    check_fresh(signed.created, now=now, window=window)
    return signed


def check_fresh(created: int, *, now: int, window: int = DEFAULT_WINDOW) -> None:
    """Refuse a signature created more than ``window`` seconds from ``now`` either way."""
    if abs(created - now) > window:
        raise StaleSignature(
            f"signature created at {created}, {created - now:+d} s from the hub's clock "
            f"(window ±{window} s): set the device clock from hub_time and sign again"
        )


def sign_response(
    *,
    status: int,
    body: bytes,
    key: ed25519.Ed25519PrivateKey,
    key_id: str,
    created: int,
    nonce: str,
    request_method: str,
    request_target: str,
    request_headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> dict[str, str]:
    """Headers that sign a response and bind it to the signed request it answers."""
    message = _Response(
        status_code=status,
        headers={},
        request=_request(request_method, request_target, request_headers),
    )
    return _sign(
        message,
        components=RESPONSE_COMPONENTS,
        body=body,
        key=key,
        key_id=key_id,
        created=created,
        nonce=nonce,
    )


def verify_response(
    *,
    status: int,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    key: ed25519.Ed25519PublicKey,
    key_id: str,
    request_method: str,
    request_target: str,
    request_headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> Signed:
    """Verify that a response comes from the hub and answers this very request."""
    message = _Response(
        status_code=status,
        headers=_headers(headers),
        request=_request(request_method, request_target, request_headers),
    )
    return _verify(
        message, components=RESPONSE_COMPONENTS, body=body, resolver=_OneKey(key_id, public=key)
    )


class ReplayGuard:
    """Remembers nonces for twice the window; a nonce seen again is a replay.

    An in-memory guard for one process; the hub keeps the same rule in its database.
    """

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self._seen: dict[tuple[str, str], int] = {}

    def check(self, signed: Signed, *, now: int) -> None:
        """Record ``signed``'s nonce, or raise ReplayedSignature if it was seen."""
        horizon = now - 2 * self.window
        self._seen = {k: t for k, t in self._seen.items() if t >= horizon}
        key = (signed.key_id, signed.nonce)
        if key in self._seen:
            raise ReplayedSignature(f"nonce {signed.nonce!r} was already used")
        self._seen[key] = signed.created


# --- helpers for the two HTTP stacks ------------------------------------------------------


def target_from_environ(environ: Mapping[str, Any]) -> str:
    """The request target as the client sent it, from a WSGI environ (for a Flask view)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        return raw
    path = quote(
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/;=,@:!$&'()*+-._~"
    )
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


CLOCK_OFFSET_PARAM = "clock_offset"


class RequestAuth:
    """A ``requests`` auth callable: ``session.auth = RequestAuth(...)`` signs every request.

    The signing clock is given one of two ways:

    * ``clock_ms``, the device's own clock in Unix milliseconds (the clock it stamps its
      records with), and optionally ``offset_ms``, the correction in milliseconds it learnt
      from the hub's ``hub_time``: ``created`` is their sum in seconds, and the correction is
      declared in the signed query as ``clock_offset`` (0 without ``offset_ms``), so the hub
      measures the device's own clock at each send (protocol.md section 5), even for a batch
      sent late;
    * or ``clock``, the (hub-corrected) Unix time in seconds, declaring nothing (the hub then
      measures the clock by the batch's ``sent_at``), as older agents sign.

    ``nonces`` returns a fresh nonce. Clocks and nonces are injected so this module reads
    neither a clock nor a random source itself.
    """

    def __init__(
        self,
        *,
        key: ed25519.Ed25519PrivateKey,
        key_id: str,
        nonces: Callable[[], str],
        clock: Callable[[], int] | None = None,
        clock_ms: Callable[[], int] | None = None,
        offset_ms: Callable[[], int] | None = None,
    ) -> None:
        if (clock is None) == (clock_ms is None):
            raise ValueError("give the signing clock as either clock (seconds) or clock_ms")
        if offset_ms is not None and clock_ms is None:
            raise ValueError("offset_ms corrects clock_ms")
        self.key, self.key_id, self.nonces = key, key_id, nonces
        self.clock, self.clock_ms, self.offset_ms = clock, clock_ms, offset_ms

    def _created(self, request: Any) -> int:
        if self.clock_ms is None:
            assert self.clock is not None
            return self.clock()
        offset = int(self.offset_ms()) if self.offset_ms is not None else 0  # read once
        _declare_offset(request, offset)
        return (self.clock_ms() + offset) // 1000

    def __call__(self, request: Any) -> Any:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        created = self._created(request)  # may add to the query: before the signature
        headers = sign_request(
            method=request.method,
            target=request.path_url,
            body=body,
            key=self.key,
            key_id=self.key_id,
            created=created,
            nonce=self.nonces(),
        )
        request.headers.update(headers)
        return request


def _declare_offset(request: Any, offset: int) -> None:
    """Put ``clock_offset=<offset>`` in a prepared request's query (replacing any)."""
    parts = urlsplit(request.url)
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(k == CLOCK_OFFSET_PARAM for k, _ in pairs):  # otherwise the query is left as it is
        query = urlencode([(k, v) for k, v in pairs if k != CLOCK_OFFSET_PARAM])
    mine = urlencode({CLOCK_OFFSET_PARAM: offset})
    request.prepare_url(
        urlunsplit(parts._replace(query=f"{query}&{mine}" if query else mine)), None
    )
