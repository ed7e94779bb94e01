"""The record kinds that travel between an outlet and the hub.

Uplink (device -> hub): ``application.create``, ``application.amend``, ``pickup.confirm``,
``rating.create``. Downlink (hub -> outlet): ``status.changed``, ``supplement.requested``,
``shipment.event``, ``catalogue.updated``, ``record.rejected``.

Every record is a frozen msgspec Struct tagged by ``kind``, with explicit fields and no
unknown fields allowed. Times are Unix milliseconds by the writer's clock. Personal data
appears only sealed (see sealing.py) beside a masked display copy.
"""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

from .catalogue import CatalogueItem
from .errors import InvalidValue
from .ids import check_receipt
from .masking import MASK
from .types import (
    Code,
    Division,
    IsoDate,
    LongText,
    MediaType,
    Millis,
    Name,
    Receipt,
    Sealed,
    Sha256Hex,
    ShortText,
    Uuid7,
    Version,
)
from .validators import tracking_number

# Every struct is frozen, keyword-only and strict. Spelled out on each class rather than
# splatted from a dict, so the type checker sees them too (kw_only applies to the fields a
# class itself declares, and is not inherited).


class Record(
    msgspec.Struct, tag_field="kind", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """Base of every record: a device- or hub-made UUIDv7."""

    id: Uuid7


def _masked(value: str, field: str) -> None:
    # ``field`` is relative to the struct checked: msgspec's path already names the struct.
    if value and MASK not in value:
        raise ValueError(f"{field}: must be a masked copy (with '*'), never the clear value")


# --- uplink parts ---------------------------------------------------------------------------


class MaskedApplicant(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Display copies safe to keep in clear: 张*, 5101**********123X, 138****5678."""

    name: Name
    id_number: ShortText
    phone: ShortText

    def __post_init__(self) -> None:
        _masked(self.name, "name")
        _masked(self.id_number, "id_number")
        _masked(self.phone, "phone")


IdType = Literal[
    "resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permanent_id"
]


class SealedApplicant(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The applicant sealed to the hub (purpose ``applicant``), plus masked copies."""

    id_type: IdType
    sealed: Sealed
    masked: MaskedApplicant


class Scan(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A scanned page, addressed by content; the bytes travel separately as a blob."""

    sha256: Sha256Hex
    size: int
    media_type: MediaType

    def __post_init__(self) -> None:
        if not 0 < self.size <= 50 * 1024 * 1024:
            raise ValueError("size: a scan is between 1 byte and 50 MiB")


class MaterialProvided(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A material handed over: ticked as seen on paper, with scans when photographed."""

    code: Code
    scans: tuple[Scan, ...] = ()


class Pickup(
    msgspec.Struct,
    tag="pickup",
    tag_field="method",
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
):
    """The citizen collects the result at the outlet."""


class Mail(
    msgspec.Struct,
    tag="mail",
    tag_field="method",
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
):
    """The result is mailed; the address is sealed (purpose ``address``)."""

    sealed: Sealed
    masked: ShortText

    def __post_init__(self) -> None:
        _masked(self.masked, "masked")


Delivery = Pickup | Mail


def _check_materials(materials: tuple[MaterialProvided, ...], promised: tuple[str, ...]) -> None:
    if len(materials) <= 1 and len(promised) <= 1:  # the common case: nothing can repeat
        if materials and promised and materials[0].code == promised[0]:
            raise ValueError(f"promised: materials both provided and promised: {promised[0]}")
        return
    codes = [m.code for m in materials]
    if len(set(codes)) != len(codes):
        raise ValueError("materials: a material code is listed twice")
    if len(set(promised)) != len(promised):
        raise ValueError("promised: a material code is listed twice")
    both = set(codes) & set(promised)
    if both:
        raise ValueError(
            f"promised: materials both provided and promised: {', '.join(sorted(both))}"
        )


# --- uplink records ------------------------------------------------------------------------


class ApplicationCreate(
    Record, tag="application.create", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """A new application captured at an outlet."""

    receipt: Receipt
    outlet: Code
    staff: Code  # the runner or clerk who took it
    item: Code
    region: Division  # the applicant's county, used for routing
    captured_at: Millis
    applicant: SealedApplicant
    materials: tuple[MaterialProvided, ...] = ()
    promised: tuple[Code, ...] = ()  # 容缺: materials promised in writing for later
    delivery: Delivery
    note: LongText = ""

    def __post_init__(self) -> None:
        _check_materials(self.materials, self.promised)
        try:
            check_receipt(self.receipt)
        except InvalidValue as exc:
            raise ValueError(f"receipt: {exc.message}") from None


AmendReason = Literal["supplement", "correction"]


class ApplicationAmend(
    Record, tag="application.amend", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """A supplement (materials the hub asked for) or a correction of an application."""

    application: Uuid7
    base_version: Version  # the application version this amends; a mismatch is a conflict
    reason: AmendReason
    staff: Code
    captured_at: Millis
    materials: tuple[MaterialProvided, ...] = ()
    applicant: SealedApplicant | None = None  # sealed for this record's id
    delivery: Delivery | None = None
    note: LongText = ""

    def __post_init__(self) -> None:
        _check_materials(self.materials, ())
        if self.reason == "supplement" and not self.materials:
            raise ValueError("materials: a supplement must carry at least one material")
        if not (self.materials or self.applicant or self.delivery or self.note):
            raise ValueError("materials: an amendment must change something")


Collector = Literal["applicant", "proxy"]


class PickupConfirm(
    Record, tag="pickup.confirm", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """The citizen, or someone on their behalf, collected the result at the outlet."""

    application: Uuid7
    staff: Code
    at: Millis
    collector: Collector
    id_checked: bool
    collector_masked: ShortText = ""
    collector_sealed: Sealed | None = None  # a proxy's name and ID, purpose ``collector``

    def __post_init__(self) -> None:
        if not self.id_checked:
            raise ValueError("id_checked: the collector's ID must be checked before hand-over")
        if self.collector == "proxy" and self.collector_sealed is None:
            raise ValueError("collector_sealed: a proxy collector must be recorded")
        _masked(self.collector_masked, "collector_masked")


RatingLevel = Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
RATING_LEVELS: tuple[RatingLevel, ...] = get_args(RatingLevel)
RATING_LABELS = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
BAD_RATINGS = frozenset({"dissatisfied", "very_dissatisfied"})


class RatingCreate(
    Record, tag="rating.create", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """The citizen's rating of the service (好差评)."""

    application: Uuid7
    staff: Code
    at: Millis
    level: RatingLevel
    comment: LongText = ""


UplinkRecord = ApplicationCreate | ApplicationAmend | PickupConfirm | RatingCreate
UPLINK_KINDS: tuple[str, ...] = (
    "application.create",
    "application.amend",
    "pickup.confirm",
    "rating.create",
)

# --- downlink records ----------------------------------------------------------------------

Status = Literal[
    "received",
    "triage",
    "routed",
    "accepted",
    "supplement_requested",
    "approved",
    "rejected",
    "result_issued",
    "ready_for_pickup",
    "mailed",
    "delivered",
    "returned",
    "closed",
]
STATUSES: tuple[Status, ...] = get_args(Status)


class StatusChanged(
    Record, tag="status.changed", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """An application moved to a new state at the hub."""

    application: Uuid7
    status: Status
    version: Version  # the application's version at the hub after this change
    at: Millis
    unit: Code | None = None
    due_date: IsoDate | None = None
    due_provisional: bool = False  # the due date reaches a year the calendar does not know yet
    note: LongText = ""


class SupplementRequested(
    Record, tag="supplement.requested", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """The department asks the citizen, through the outlet, for more materials."""

    application: Uuid7
    version: Version
    at: Millis
    unit: Code
    materials: tuple[Code, ...]
    message: LongText

    def __post_init__(self) -> None:
        if not self.materials and not self.message.strip():
            raise ValueError(
                "materials: a supplement request names materials or says what is needed"
            )


ShipmentEventKind = Literal[
    "posted", "in_transit", "out_for_delivery", "delivered", "failed_attempt", "returned"
]


class ShipmentEvent(
    Record, tag="shipment.event", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """A carrier event on the result's way back to the citizen."""

    application: Uuid7
    carrier: Code
    tracking: ShortText
    event: ShipmentEventKind
    at: Millis
    location: ShortText = ""
    note: ShortText = ""

    def __post_init__(self) -> None:
        try:
            normalised = tracking_number(self.tracking)
        except InvalidValue as exc:
            raise ValueError(f"tracking: {exc.message}") from None
        if normalised != self.tracking:
            raise ValueError("tracking: must be sent normalised (upper case, no spaces)")


class CatalogueUpdated(
    Record, tag="catalogue.updated", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """The full catalogue as of ``version``; replaces what the outlet had."""

    version: Version
    items: tuple[CatalogueItem, ...]
    units: dict[Code, Name] = {}

    def __post_init__(self) -> None:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("items: an item code appears twice in the catalogue")


class Reason(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why a record was refused: a stable code, the field to blame, and words for staff."""

    code: ShortText
    message: LongText
    field: ShortText | None = None


class RecordRejected(
    Record, tag="record.rejected", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """The hub refused an uplink record; it is kept for audit and shown to staff to fix."""

    record: Uuid7
    record_kind: ShortText
    batch: Uuid7 | None
    at: Millis
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError("reasons: a rejection gives at least one reason")


DownlinkRecord = (
    StatusChanged | SupplementRequested | ShipmentEvent | CatalogueUpdated | RecordRejected
)
DOWNLINK_KINDS: tuple[str, ...] = (
    "status.changed",
    "supplement.requested",
    "shipment.event",
    "catalogue.updated",
    "record.rejected",
)
