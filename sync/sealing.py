"""Sealing citizens' personal data to the hub's public key.

Sealing is HPKE (RFC 9180) in base mode with the suite DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, AES-256-GCM, as implemented by ``cryptography``: each seal draws a fresh
ephemeral X25519 key, derives the AES key with HKDF-SHA256 and encrypts with AES-256-GCM. The
HPKE ``info`` binds the ciphertext to the record id and the field it was sealed for, so a sealed
value copied into another record or another field does not open. The device never holds the
private key: once sealed, only the hub can read what a citizen handed over.

Wire form: ``"s1." + base64url(enc || ciphertext || tag)`` without padding.
"""

from __future__ import annotations

import base64
import binascii

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import x25519

from .errors import InvalidValue, SealError

SEAL_PREFIX = "s1."
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_ENC_LEN = 32
_TAG_LEN = 16
# Bounds what a hub will try to open: personal data is small.
MAX_SEALED_CHARS = 4096


def seal_context(record_id: str, purpose: str) -> bytes:
    """The HPKE info string: protocol label, record id and purpose, NUL-separated."""
    return b"daiban/seal/v1\x00" + record_id.encode("ascii") + b"\x00" + purpose.encode("ascii")


def seal(
    plaintext: bytes, recipient: x25519.X25519PublicKey, *, record_id: str, purpose: str
) -> str:
    """Encrypt ``plaintext`` to ``recipient`` for one record and purpose."""
    blob = _SUITE.encrypt(plaintext, recipient, info=seal_context(record_id, purpose))
    return SEAL_PREFIX + base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii")


def seal_bytes(
    data: bytes, recipient: x25519.X25519PublicKey, *, record_id: str, purpose: str
) -> bytes:
    """Seal binary data (a scanned page) as raw ``enc || ciphertext || tag``."""
    return _SUITE.encrypt(data, recipient, info=seal_context(record_id, purpose))


def unseal_bytes(
    blob: bytes, private_key: x25519.X25519PrivateKey, *, record_id: str, purpose: str
) -> bytes:
    """Open what ``seal_bytes`` sealed; SealError on any failure."""
    if len(blob) < _ENC_LEN + _TAG_LEN:
        raise SealError("sealed data is too short", field="sealed")
    try:
        return _SUITE.decrypt(blob, private_key, info=seal_context(record_id, purpose))
    except (InvalidTag, ValueError) as exc:
        raise SealError(
            "sealed data does not open with this key for this record", field="sealed"
        ) from exc


def _decode_token(token: str) -> bytes:
    if not isinstance(token, str) or not token.startswith(SEAL_PREFIX):
        raise SealError("sealed value does not start with 's1.'", field="sealed")
    body = token[len(SEAL_PREFIX) :]
    if len(token) > MAX_SEALED_CHARS:
        raise SealError("sealed value is too long", field="sealed")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise SealError("sealed value is not base64url", field="sealed") from None
    if len(blob) < _ENC_LEN + _TAG_LEN:
        raise SealError("sealed value is too short", field="sealed")
    return blob


def check_sealed(token: str) -> str:
    """Check the shape of a sealed value without opening it (what a device can do)."""
    _decode_token(token)
    return token


def unseal(
    token: str, private_key: x25519.X25519PrivateKey, *, record_id: str, purpose: str
) -> bytes:
    """Open a sealed value; any failure (wrong key, record, purpose, tampering) is SealError."""
    blob = _decode_token(token)
    try:
        return _SUITE.decrypt(blob, private_key, info=seal_context(record_id, purpose))
    except (InvalidTag, ValueError) as exc:
        raise SealError(
            "sealed value does not open with this key for this record", field="sealed"
        ) from exc


# --- the applicant and the mail address -------------------------------------------------------

ID_TYPES = ("resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permanent_id")


class Applicant(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the citizen is, in clear: lives only in memory on the device and at the hub."""

    name: str
    id_type: str = "resident_id"
    id_number: str
    phone: str


class Address(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where a result is mailed to, in clear."""

    recipient: str
    phone: str
    address: str
    postcode: str = ""


_applicant_decoder = msgspec.json.Decoder(Applicant)
_address_decoder = msgspec.json.Decoder(Address)


def _canonical(obj: msgspec.Struct) -> bytes:
    return msgspec.json.encode(obj, order="sorted")


def seal_applicant(
    applicant: Applicant, recipient: x25519.X25519PublicKey, *, record_id: str
) -> str:
    """Seal an applicant's name, ID type and number, and phone for one record."""
    return seal(_canonical(applicant), recipient, record_id=record_id, purpose="applicant")


def unseal_applicant(
    token: str, private_key: x25519.X25519PrivateKey, *, record_id: str
) -> Applicant:
    """Open a sealed applicant."""
    raw = unseal(token, private_key, record_id=record_id, purpose="applicant")
    try:
        return _applicant_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise SealError(f"sealed applicant holds bad data: {exc}", field="applicant") from None


def seal_address(address: Address, recipient: x25519.X25519PublicKey, *, record_id: str) -> str:
    """Seal a mail address for one record."""
    return seal(_canonical(address), recipient, record_id=record_id, purpose="address")


def unseal_address(token: str, private_key: x25519.X25519PrivateKey, *, record_id: str) -> Address:
    """Open a sealed mail address."""
    raw = unseal(token, private_key, record_id=record_id, purpose="address")
    try:
        return _address_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise SealError(f"sealed address holds bad data: {exc}", field="address") from None


# --- keys as text ---------------------------------------------------------------------------


def _raw_key(text: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise InvalidValue(f"{what} is not base64url", field=what) from None
    if len(raw) != 32:
        raise InvalidValue(f"{what} must be 32 bytes, got {len(raw)}", field=what)
    return raw


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sealing_key_to_text(key: x25519.X25519PublicKey) -> str:
    """The hub's sealing public key as base64url (as the enrolment answer carries it)."""
    return _b64(key.public_bytes_raw())


def sealing_key_from_text(text: str) -> x25519.X25519PublicKey:
    """Parse a sealing public key sent as base64url."""
    return x25519.X25519PublicKey.from_public_bytes(_raw_key(text, "sealing_key"))


def sealing_private_key_from_bytes(raw: bytes) -> x25519.X25519PrivateKey:
    """A sealing private key from its 32 raw bytes (as test vectors give it)."""
    return x25519.X25519PrivateKey.from_private_bytes(raw)
