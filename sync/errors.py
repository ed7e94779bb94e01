"""The protocol's exceptions: one base, stable codes, a field where one is to blame.

* ProtocolError (ValueError)            400  anything the protocol refuses
  - InvalidValue                        400  a typed-in value (ID number, phone...) or record field
  - MalformedMessage                    400  not a well-formed frame, JSON or envelope
    - UnsupportedVersion                400  a protocol version this side cannot handle
    - DigestMismatch                    400  the content digest does not match the payload
    - TooLarge                          413  over a bound on records or bytes
  - BadSignature                        401  missing, malformed or wrong HTTP message signature
    - StaleSignature                    401  created time outside the accepted window
    - ReplayedSignature                 401  a nonce already seen for this key
    - DeviceRevoked                     403  a device the hub has revoked
  - SealError                           400  sealed personal data that cannot be opened

Codes are stable strings, documented in docs/protocol.md; a retired code is never reused.
"""

from __future__ import annotations

from typing import Any


class ProtocolError(ValueError):
    """Base of every error the sync protocol raises."""

    code = "protocol"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape the hub answers with."""
        body: dict[str, Any] = {"ok": False, "code": self.code, "error": self.message}
        if self.field is not None:
            body["field"] = self.field
        body["status"] = self.status
        return body


class InvalidValue(ProtocolError):
    """A value was refused; ``reason`` is a stable machine-readable word."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, reason: str = "invalid") -> None:
        super().__init__(message, field=field)
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["reason"] = self.reason
        return body


class MalformedMessage(ProtocolError):
    code = "malformed"


class UnsupportedVersion(MalformedMessage):
    code = "unsupported_version"


class DigestMismatch(MalformedMessage):
    code = "digest_mismatch"


class TooLarge(MalformedMessage):
    code = "too_large"
    status = 413


class BadSignature(ProtocolError):
    code = "bad_signature"
    status = 401


class StaleSignature(BadSignature):
    code = "stale_signature"


class ReplayedSignature(BadSignature):
    code = "replayed_signature"


class DeviceRevoked(BadSignature):
    code = "device_revoked"
    status = 403


class SealError(ProtocolError):
    code = "unseal_failed"


ERROR_CODES: dict[str, type[ProtocolError]] = {
    cls.code: cls
    for cls in (
        ProtocolError,
        InvalidValue,
        MalformedMessage,
        UnsupportedVersion,
        DigestMismatch,
        TooLarge,
        BadSignature,
        StaleSignature,
        ReplayedSignature,
        DeviceRevoked,
        SealError,
    )
}
