"""Batches: what a device pushes, and how the hub takes one apart.

A batch is an envelope (protocol version, device id, batch id, per-device sequence, device
clock at send) around at most MAX_RECORDS uplink records, in a frame (codec.py). Decoding is
strict about the envelope and lenient about records: one record that fails validation is
reported with its index, id and reason, and never stops the records beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated

import msgspec

from .codec import (
    HEADER_LEN,
    MAX_FRAME_BYTES,
    canonical,
    decode_frame,
    digest_hex,
    encode_frame,
    field_from_error,
    strip_path,
)
from .codec import (
    with_field as _with_field,
)
from .errors import InvalidValue, MalformedMessage, TooLarge, UnsupportedVersion
from .records import UplinkRecord
from .types import DeviceId, Millis, Uuid7
from .version import PROTOCOL_VERSION, check_version

MAX_RECORDS = 500
MAX_RECORD_BYTES = 64 * 1024
# What an agent aims for per batch before compression; the hard cap is MAX_PAYLOAD_BYTES.
TARGET_BATCH_BYTES = 1024 * 1024

_STRUCT = {"frozen": True, "kw_only": True, "forbid_unknown_fields": True}


class Batch(msgspec.Struct, **_STRUCT):
    """The envelope of one push."""

    v: int
    device: DeviceId
    batch: Uuid7
    seq: Annotated[int, msgspec.Meta(ge=1)]
    sent_at: Millis  # the device's clock when it sent; the hub compares with its own
    records: tuple[UplinkRecord, ...]


class _Envelope(msgspec.Struct, **_STRUCT):
    v: int
    device: DeviceId
    batch: Uuid7
    seq: Annotated[int, msgspec.Meta(ge=1)]
    sent_at: Millis
    records: list[msgspec.Raw]


class _Peek(msgspec.Struct):
    """What can be read of a record that failed validation, to tell staff which one."""

    id: object = None
    kind: object = None


class Entry(msgspec.Struct, frozen=True):
    """One record slot of a decoded batch: a valid record, or why it is not one.

    A Struct rather than a dataclass: a batch makes one per record, and a Struct is built in C.
    """

    index: int
    id: str | None
    kind: str | None
    digest: str  # SHA-256 of the record's canonical bytes; same content, same digest
    record: UplinkRecord | None = None
    error: InvalidValue | None = None
    body: bytes = b""  # the record's canonical bytes, when it is valid
    as_sent: bool = False  # the batch carried exactly ``body`` (it was sent canonical)


@dataclass(frozen=True)
class DecodedBatch:
    """A batch whose envelope is valid, with every record slot accounted for."""

    version: int
    device: str
    batch: str
    seq: int
    sent_at: int
    digest: str  # of the whole canonical payload: a re-sent batch has the same one
    entries: tuple[Entry, ...]

    @property
    def records(self) -> tuple[UplinkRecord, ...]:
        return tuple(e.record for e in self.entries if e.record is not None)

    @property
    def errors(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.error is not None)


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_record_decoder = msgspec.json.Decoder(UplinkRecord)
_peek_decoder = msgspec.json.Decoder(_Peek)


def record_digest(record: msgspec.Struct) -> str:
    """SHA-256 (hex) of a record's canonical bytes."""
    return digest_hex(canonical(record))


def new_batch(
    *, device: str, batch_id: str, seq: int, sent_at: int, records: Sequence[UplinkRecord]
) -> Batch:
    """Build a batch envelope, checking the bounds an agent must respect."""
    if not records:
        raise InvalidValue("a batch carries at least one record", field="records")
    if len(records) > MAX_RECORDS:
        raise TooLarge(f"{len(records)} records exceed the {MAX_RECORDS} a batch may carry")
    return Batch(
        v=PROTOCOL_VERSION,
        device=device,
        batch=batch_id,
        seq=seq,
        sent_at=sent_at,
        records=tuple(records),
    )


def encode_batch(batch: Batch) -> bytes:
    """Canonical, compressed, digested frame of a batch."""
    for index, record in enumerate(batch.records):
        size = len(canonical(record))
        if size > MAX_RECORD_BYTES:
            raise TooLarge(
                f"record {index} is {size} bytes, over {MAX_RECORD_BYTES}",
                field=f"records[{index}]",
            )
    return encode_frame(canonical(batch), version=batch.v)


class _RawBatch(msgspec.Struct, **_STRUCT):
    v: int
    device: str
    batch: str
    seq: int
    sent_at: int
    records: list[msgspec.Raw]


def encode_raw_batch(
    *, device: str, batch_id: str, seq: int, sent_at: int, bodies: Sequence[bytes]
) -> bytes:
    """Frame a batch from records already in canonical form (as an outbox keeps them).

    The same payload as ``encode_batch`` on the decoded records, without decoding them
    again.
    """
    if not bodies:
        raise InvalidValue("a batch carries at least one record", field="records")
    if len(bodies) > MAX_RECORDS:
        raise TooLarge(f"{len(bodies)} records exceed the {MAX_RECORDS} a batch may carry")
    for index, body in enumerate(bodies):
        if len(body) > MAX_RECORD_BYTES:
            raise TooLarge(
                f"record {index} is {len(body)} bytes, over {MAX_RECORD_BYTES}",
                field=f"records[{index}]",
            )
    envelope = _RawBatch(
        v=PROTOCOL_VERSION,
        device=device,
        batch=batch_id,
        seq=seq,
        sent_at=sent_at,
        records=[msgspec.Raw(b) for b in bodies],
    )
    return encode_frame(canonical(envelope), version=PROTOCOL_VERSION)


def _peek(data: bytes) -> tuple[str | None, str | None]:
    """The id and kind of a record that failed validation, if they can be read at all."""
    try:
        peek = _peek_decoder.decode(data)
    except msgspec.DecodeError:
        return None, None
    rid = peek.id if isinstance(peek.id, str) and len(peek.id) <= 64 else None
    kind = peek.kind if isinstance(peek.kind, str) and len(peek.kind) <= 64 else None
    return rid, kind


def _entry(index: int, raw: msgspec.Raw, seen: set[str]) -> Entry:
    data = bytes(raw)
    path = f"$.records[{index}]"
    if len(data) > MAX_RECORD_BYTES:
        error = InvalidValue(
            f"record is {len(data)} bytes, over {MAX_RECORD_BYTES}", field=path, reason="too_large"
        )
        return Entry(index, *_peek(data), digest_hex(data), error=error)
    try:
        record = _record_decoder.decode(data)
    except msgspec.DecodeError as exc:
        text = str(exc)
        where = field_from_error(text)
        field = path + where[1:] if where else path
        error = InvalidValue(strip_path(text), field=field, reason="schema")
        return Entry(index, *_peek(data), digest_hex(data), error=error)
    kind = str(record.__struct_config__.tag)
    if record.id in seen:
        error = InvalidValue(
            f"record id {record.id} appears twice in this batch",
            field=f"{path}.id",
            reason="repeat",
        )
        return Entry(index, record.id, kind, record_digest(record), error=error)
    seen.add(record.id)
    body = canonical(record)
    return Entry(
        index, record.id, kind, digest_hex(body), record=record, body=body, as_sent=body == data
    )


def decode_batch(frame: bytes) -> DecodedBatch:
    """Check a pushed frame; raise ProtocolError for a bad envelope, list bad records."""
    version, payload = decode_frame(frame)
    try:
        envelope = _envelope_decoder.decode(payload)
    except msgspec.DecodeError as exc:
        text = str(exc)
        raise MalformedMessage(
            _with_field("batch envelope", text), field=field_from_error(text)
        ) from None
    try:
        check_version(envelope.v)
    except UnsupportedVersion as exc:
        raise UnsupportedVersion(exc.message, field="$.v") from None
    if envelope.v != version:
        raise MalformedMessage("envelope version differs from the frame's", field="$.v")
    if not envelope.records:
        raise MalformedMessage("a batch carries at least one record", field="$.records")
    if len(envelope.records) > MAX_RECORDS:
        raise TooLarge(
            f"{len(envelope.records)} records exceed the {MAX_RECORDS} a batch may carry",
            field="$.records",
        )
    seen: set[str] = set()
    entries = tuple(_entry(i, raw, seen) for i, raw in enumerate(envelope.records))
    return DecodedBatch(
        version=envelope.v,
        device=envelope.device,
        batch=envelope.batch,
        seq=envelope.seq,
        sent_at=envelope.sent_at,
        digest=digest_hex(payload),
        entries=entries,
    )


def clock_skew_ms(*, created: int, clock_offset: int | None, sent_at: int, now_ms: int) -> int:
    """A device's clock minus the hub's, in milliseconds, for the push of one batch.

    Measured at the send itself, from the push signature's ``created`` (Unix seconds), so a
    batch left in flight and sent again later is not taken for a wrong clock: the device's
    own clock at the send is ``created * 1000 - clock_offset``, where ``clock_offset`` is what
    the device declared it added to its own clock to sign (its correction from the hub's
    ``hub_time``; 0 when it signs with its own clock). A device that declares nothing (an
    older agent, which may sign with a corrected clock without saying so) is measured by
    the batch's ``sent_at`` instead, which a batch sent late makes look slow by the delay.
    ``now_ms``: the hub's clock when the push arrived. See docs/protocol.md section 5.
    """
    if clock_offset is None:
        return sent_at - now_ms
    return created * 1000 - clock_offset - now_ms


def record_bytes(frame: bytes, index: int) -> bytes:
    """The bytes of record slot ``index`` of a batch frame, as the device sent them."""
    _, payload = decode_frame(frame)
    try:
        envelope = _envelope_decoder.decode(payload)
    except msgspec.DecodeError as exc:
        raise MalformedMessage(_with_field("batch envelope", str(exc))) from None
    if not 0 <= index < len(envelope.records):
        raise InvalidValue(f"the batch has no record slot {index}", field="index")
    return bytes(envelope.records[index])


def plan_batches(
    records: Iterable[UplinkRecord],
    *,
    max_records: int = MAX_RECORDS,
    max_bytes: int = TARGET_BATCH_BYTES,
) -> list[list[UplinkRecord]]:
    """Split records, in order, into groups within the count and byte bounds."""
    groups: list[list[UplinkRecord]] = []
    current: list[UplinkRecord] = []
    size = 0
    for record in records:
        record_size = len(canonical(record)) + 1
        if current and (len(current) >= max_records or size + record_size > max_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(record)
        size += record_size
    if current:
        groups.append(current)
    return groups


__all__ = [
    "HEADER_LEN",
    "MAX_FRAME_BYTES",
    "MAX_RECORDS",
    "MAX_RECORD_BYTES",
    "Batch",
    "DecodedBatch",
    "Entry",
    "clock_skew_ms",
    "decode_batch",
    "encode_batch",
    "encode_raw_batch",
    "new_batch",
    "plan_batches",
    "record_bytes",
    "record_digest",
]
