"""RFC 9421 request and response signatures: tampering, staleness, replay, binding."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from sync import signing
from sync.errors import BadSignature, InvalidValue, ReplayedSignature, StaleSignature

NOW = 1_790_000_000
TARGET = "/api/v1/sync/push"
BODY = b"frame-bytes-\x00\x01"


def signed_headers(key, *, body=BODY, target=TARGET, created=NOW, nonce="n0nce-n0nce-n0nce"):
    return signing.sign_request(
        method="POST",
        target=target,
        body=body,
        key=key,
        key_id="dev-1",
        created=created,
        nonce=nonce,
    )


def verify(key, headers, *, body=BODY, target=TARGET, now=NOW, method="POST"):
    return signing.verify_request(
        method=method,
        target=target,
        headers=headers,
        body=body,
        resolve_key=lambda key_id: key.public_key() if key_id == "dev-1" else None,
        now=now,
    )


def test_sign_then_verify(device_key):
    signed = verify(device_key, signed_headers(device_key))
    assert (signed.key_id, signed.created, signed.nonce) == ("dev-1", NOW, "n0nce-n0nce-n0nce")
    assert '"content-digest"' in signed.covered


def test_headers_are_case_insensitive(device_key):
    headers = {k.upper(): v for k, v in signed_headers(device_key).items()}
    verify(device_key, headers)
    verify(device_key, list(headers.items()))


@pytest.mark.parametrize("position", [0, 5, len(BODY) - 1])
def test_one_flipped_body_byte_fails(device_key, position):
    body = bytearray(BODY)
    body[position] ^= 0x01
    with pytest.raises(BadSignature):
        verify(device_key, signed_headers(device_key), body=bytes(body))


def test_a_flipped_signature_byte_fails(device_key):
    headers = signed_headers(device_key)
    sig = headers["Signature"]
    i = sig.index(":") + 5
    headers["Signature"] = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1 :]
    with pytest.raises(BadSignature):
        verify(device_key, headers)


@pytest.mark.parametrize(
    "change",
    [
        {"target": "/api/v1/sync/pull"},
        {"target": TARGET + "?cursor=1"},
        {"method": "PUT"},
    ],
)
def test_method_path_and_query_are_covered(device_key, change):
    with pytest.raises(BadSignature):
        verify(device_key, signed_headers(device_key), **change)


def test_signed_query_is_covered():
    key = ed25519.Ed25519PrivateKey.generate()
    headers = signed_headers(key, target="/pull?cursor=10", body=b"")
    verify(key, headers, target="/pull?cursor=10", body=b"")
    with pytest.raises(BadSignature):
        verify(key, headers, target="/pull?cursor=0", body=b"")


def test_wrong_key_unknown_device_and_missing_headers(device_key):
    other = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(BadSignature):
        verify(other, signed_headers(device_key))
    with pytest.raises(BadSignature, match="unknown device"):
        signing.verify_request(
            method="POST",
            target=TARGET,
            headers=signed_headers(device_key),
            body=BODY,
            resolve_key=lambda k: None,
            now=NOW,
        )
    with pytest.raises(BadSignature, match="not signed"):
        verify(device_key, {})
    headers = signed_headers(device_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace('tag="daiban/1"', 'tag="x"')
    with pytest.raises(BadSignature):
        verify(device_key, headers)


def test_a_revoked_device_keeps_its_own_error(device_key):
    class Revoked(BadSignature):
        code = "device_revoked"

    def lookup(key_id):
        raise Revoked(f"device {key_id} is revoked")

    with pytest.raises(Revoked):
        signing.verify_request(
            method="POST",
            target=TARGET,
            headers=signed_headers(device_key),
            body=BODY,
            resolve_key=lookup,
            now=NOW,
        )


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_stale_or_future_signatures_are_refused(device_key, offset):
    headers = signed_headers(device_key, created=NOW + offset)
    with pytest.raises(StaleSignature):
        verify(device_key, headers)
    verify(device_key, signed_headers(device_key, created=NOW + 299))  # inside the window


def test_replayed_nonce_is_refused(device_key):
    guard = signing.ReplayGuard()
    guard.check(verify(device_key, signed_headers(device_key)), now=NOW)
    with pytest.raises(ReplayedSignature):
        guard.check(verify(device_key, signed_headers(device_key)), now=NOW + 1)
    guard.check(verify(device_key, signed_headers(device_key, nonce="another-nonce-123")), now=NOW)
    # Forgotten only after twice the window, when the signature is stale anyway.
    later = verify(
        device_key,
        signed_headers(device_key, created=NOW + 700, nonce="later-nonce-0001"),
        now=NOW + 700,
    )
    guard.check(later, now=NOW + 700)
    assert ("dev-1", "n0nce-n0nce-n0nce") not in guard._seen


def test_bad_nonce_is_refused_at_signing(device_key):
    with pytest.raises(InvalidValue):
        signed_headers(device_key, nonce="short")


def test_response_is_bound_to_its_request(device_key, hub_signing_key):
    request = signed_headers(device_key)
    response = signing.sign_response(
        status=200,
        body=b"ack",
        key=hub_signing_key,
        key_id="hub",
        created=NOW,
        nonce="hub-nonce-000001",
        request_method="POST",
        request_target=TARGET,
        request_headers=request,
    )
    args = dict(
        status=200,
        headers=response,
        body=b"ack",
        key=hub_signing_key.public_key(),
        key_id="hub",
        request_method="POST",
        request_target=TARGET,
    )
    signing.verify_response(**args, request_headers=request)
    other_request = signed_headers(device_key, nonce="other-nonce-00001")
    with pytest.raises(BadSignature):
        signing.verify_response(**args, request_headers=other_request)
    with pytest.raises(BadSignature):
        signing.verify_response(**dict(args, body=b"ack!"), request_headers=request)
    with pytest.raises(BadSignature):
        signing.verify_response(**dict(args, status=201), request_headers=request)


def test_a_captive_portal_page_is_not_an_acknowledgement(device_key, hub_signing_key):
    portal = {"Content-Type": "text/html", "Content-Length": "42"}
    with pytest.raises(BadSignature):
        signing.verify_response(
            status=200,
            headers=portal,
            body=b"<html>Welcome</html>",
            key=hub_signing_key.public_key(),
            key_id="hub",
            request_method="POST",
            request_target=TARGET,
            request_headers=signed_headers(device_key),
        )


def test_request_auth_signs_a_prepared_request(device_key):
    class Prepared:  # the attributes requests.PreparedRequest has
        method = "POST"
        path_url = "/api/v1/sync/push?x=1"
        body = BODY

        def __init__(self) -> None:
            self.headers: dict[str, str] = {}

    prepared = Prepared()
    auth = signing.RequestAuth(
        key=device_key, key_id="dev-1", clock=lambda: NOW, nonces=lambda: "fixed-nonce-0001"
    )
    assert auth(prepared) is prepared
    verify(device_key, prepared.headers, target="/api/v1/sync/push?x=1")


def test_target_from_environ():
    assert signing.target_from_environ({"RAW_URI": "/a?b=1"}) == "/a?b=1"
    env = {"SCRIPT_NAME": "", "PATH_INFO": "/api/v1/sync/pull", "QUERY_STRING": "cursor=3"}
    assert signing.target_from_environ(env) == "/api/v1/sync/pull?cursor=3"
    assert signing.target_from_environ({"PATH_INFO": "/x"}) == "/x"


def test_public_key_text_round_trip(device_key):
    text = signing.public_key_to_text(device_key.public_key())
    assert signing.public_key_from_text(text).public_bytes_raw() == (
        device_key.public_key().public_bytes_raw()
    )
    for bad in ["", "!!!", "AAAA"]:
        with pytest.raises(InvalidValue):
            signing.public_key_from_text(bad)
