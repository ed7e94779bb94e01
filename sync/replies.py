"""What the hub sends back: the acknowledgement of a push and a page of the pull feed.

Both travel as frames (codec.py) inside a response the hub signs (signing.py), so an agent can
tell a real acknowledgement from a captive portal's page. The acknowledgement names the batch
and its digest, and lists every record slot of the batch: accepted, duplicate (already applied:
forget it), conflict (same id, other content: keep it, show it), or rejected with reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated, Literal, TypeVar

import msgspec

from .codec import canonical, decode_frame, encode_frame, field_from_error
from .codec import with_field as _with_field
from .errors import MalformedMessage
from .records import DownlinkRecord, Reason
from .types import Code, DeviceId, Millis, Sha256Hex, Uuid7
from .version import PROTOCOL_VERSION, check_version

_STRUCT = {"frozen": True, "kw_only": True, "forbid_unknown_fields": True}

RecordStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
# What lets an agent forget an outbox entry: the hub holds that exact record.
SETTLED = frozenset({"accepted", "duplicate"})


class RecordResult(msgspec.Struct, **_STRUCT):
    """The hub's answer for one record slot of a batch."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    id: str | None
    status: RecordStatus
    reasons: tuple[Reason, ...] = ()


class FeedSlice(msgspec.Struct, **_STRUCT):
    """The outlet's feed records a batch made, carried in its acknowledgement when asked.

    ``after`` is the outlet's feed cursor before the batch was applied; the records are every
    record of the outlet's feed after it, up to ``cursor``. A device whose cursor is ``after``
    applies them and moves to ``cursor`` as if it had pulled them; any other device ignores
    them and pulls as usual.
    """

    after: Annotated[int, msgspec.Meta(ge=0)]
    cursor: Annotated[int, msgspec.Meta(ge=0)]
    records: tuple[DownlinkRecord, ...]

    def __post_init__(self) -> None:
        if self.cursor < self.after:
            raise ValueError("cursor is behind after")


class Ack(msgspec.Struct, omit_defaults=True, **_STRUCT):
    """The acknowledgement of one batch; a re-sent batch gets the same one again.

    ``feed`` is present only when the push asked for it (``feed=1``), so a device that does
    not know the field never sees it.
    """

    v: int
    device: DeviceId
    batch: Uuid7
    seq: int
    digest: Sha256Hex  # of the batch payload the hub applied
    received_at: Millis  # the hub's clock when it first received the batch
    skew_ms: int  # device clock minus hub clock at that moment
    results: tuple[RecordResult, ...]
    hub_time: Millis  # the hub's clock now, so a device can set its signing clock
    feed: FeedSlice | None = None


class FeedPage(msgspec.Struct, **_STRUCT):
    """A page of changes for one outlet, after ``cursor`` and up to ``next_cursor``."""

    v: int
    outlet: Code
    cursor: Annotated[int, msgspec.Meta(ge=0)]
    next_cursor: Annotated[int, msgspec.Meta(ge=0)]
    more: bool  # ask again with next_cursor: the page was full
    records: tuple[DownlinkRecord, ...]
    hub_time: Millis
    # Set when the state digest a device sent does not match the hub's: rebuild from cursor 0.
    resync: bool = False

    def __post_init__(self) -> None:
        if self.next_cursor < self.cursor:
            raise ValueError("next_cursor is behind cursor")


class _RawPage(msgspec.Struct, **_STRUCT):
    """A FeedPage whose records are canonical bytes already (as the hub's feed keeps them)."""

    v: int
    outlet: str
    cursor: int
    next_cursor: int
    more: bool
    records: list[msgspec.Raw]
    hub_time: int
    resync: bool = False


class _RawSlice(msgspec.Struct, **_STRUCT):
    after: int
    cursor: int
    records: list[msgspec.Raw]


_ack_decoder = msgspec.json.Decoder(Ack)
_raw_ack_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_page_decoder = msgspec.json.Decoder(FeedPage)


def encode_ack(ack: Ack) -> bytes:
    """Frame an acknowledgement."""
    return encode_frame(canonical(ack), version=ack.v)


def with_feed(ack_frame: bytes, *, after: int, cursor: int, bodies: Iterable[bytes | str]) -> bytes:
    """An acknowledgement frame with the feed records its batch made (already canonical).

    The same payload as ``encode_ack`` of the acknowledgement with ``feed`` set, without
    decoding the stored acknowledgement or the records.
    """
    if cursor < after:
        raise ValueError("cursor is behind after")
    version, payload = decode_frame(ack_frame)
    fields = _raw_ack_decoder.decode(payload)
    fields["feed"] = msgspec.Raw(
        canonical(_RawSlice(after=after, cursor=cursor, records=[msgspec.Raw(b) for b in bodies]))
    )
    return encode_frame(canonical(fields), version=version)


def encode_page(page: FeedPage) -> bytes:
    """Frame a feed page."""
    return encode_frame(canonical(page), version=page.v)


def encode_raw_page(
    *,
    outlet: str,
    cursor: int,
    next_cursor: int,
    more: bool,
    bodies: Iterable[bytes | str],
    hub_time: int,
    resync: bool = False,
) -> bytes:
    """Frame a feed page from records in canonical form, without decoding them again.

    The same payload as ``encode_page`` on the decoded records.
    """
    if next_cursor < cursor:
        raise ValueError("next_cursor is behind cursor")
    page = _RawPage(
        v=PROTOCOL_VERSION,
        outlet=outlet,
        cursor=cursor,
        next_cursor=next_cursor,
        more=more,
        records=[msgspec.Raw(b) for b in bodies],
        hub_time=hub_time,
        resync=resync,
    )
    return encode_frame(canonical(page), version=PROTOCOL_VERSION)


_Reply = TypeVar("_Reply", Ack, FeedPage)


def _decode(frame: bytes, decoder: msgspec.json.Decoder[_Reply], what: str) -> _Reply:
    _, payload = decode_frame(frame)
    try:
        value = decoder.decode(payload)
    except msgspec.DecodeError as exc:
        text = str(exc)
        raise MalformedMessage(_with_field(what, text), field=field_from_error(text)) from None
    check_version(value.v)
    return value


def decode_ack(frame: bytes) -> Ack:
    """Check and read an acknowledgement frame."""
    return _decode(frame, _ack_decoder, "acknowledgement")


def decode_page(frame: bytes) -> FeedPage:
    """Check and read a feed page frame."""
    return _decode(frame, _page_decoder, "feed page")


def state_digest(versions: Iterable[tuple[str, int]]) -> str:
    """Digest of the (application id, version) pairs an outlet holds, order-free.

    The device and the hub each compute it; a mismatch means the device's view drifted and
    it should rebuild from cursor 0 rather than trust its copy.
    """
    lines = sorted([f"{app_id}:{version}" for app_id, version in versions])
    return hashlib.sha256("\n".join(lines).encode("ascii")).hexdigest()


def new_ack(
    *,
    device: str,
    batch: str,
    seq: int,
    digest: str,
    received_at: int,
    skew_ms: int,
    results: Iterable[RecordResult],
    hub_time: int,
) -> Ack:
    """Build an acknowledgement at the current protocol version."""
    return Ack(
        v=PROTOCOL_VERSION,
        device=device,
        batch=batch,
        seq=seq,
        digest=digest,
        received_at=received_at,
        skew_ms=skew_ms,
        results=tuple(results),
        hub_time=hub_time,
    )
