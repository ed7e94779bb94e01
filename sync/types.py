"""Constrained scalar types shared by records, batches and the catalogue.

Each constraint is checked by msgspec while decoding, and a failure names the JSON path of the
field (``$.records[3].applicant.masked.phone``).
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from .ids import RECEIPT_PATTERN, UUID7_PATTERN

Uuid7 = Annotated[str, Meta(pattern=UUID7_PATTERN, description="lowercase UUIDv7")]
Receipt = Annotated[str, Meta(pattern=RECEIPT_PATTERN, description="receipt number")]
# Unix time in milliseconds, by the clock of whoever wrote it (1990 .. 2200).
Millis = Annotated[int, Meta(ge=631_152_000_000, le=7_258_118_400_000)]
Code = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$", description="code")]
Division = Annotated[str, Meta(pattern=r"^[0-9]{6}$", description="6-digit division code")]
Sha256Hex = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lowercase hex")]
Sealed = Annotated[str, Meta(pattern=r"^s1\.[A-Za-z0-9_\-]{64,4000}$", description="sealed")]
ShortText = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Version = Annotated[int, Meta(ge=1)]
Count = Annotated[int, Meta(ge=0)]
MediaType = Annotated[str, Meta(pattern=r"^[a-z]+/[a-z0-9.+\-]+$", max_length=100)]
DeviceId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_\-]{4,64}$", description="device id")]
IsoDate = Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")]
