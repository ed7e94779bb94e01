"""How carrier events reach the hub: one event shape, two ways in.

- **Manual entry**: an operator or department officer types what the tracking page says
  (API ``POST /api/v1/shipments/<id>/events`` or ``daiban-hub shipment event``).
- **Carrier push webhook**: the carrier posts each event to ``/api/v1/carriers/<code>/events``
  signed the Standard Webhooks way (HMAC-SHA256 over id, timestamp and body with the carrier's
  own secret, five-minute timestamp window), using the standardwebhooks library.

Both end as a :class:`CarrierEvent`, which hub/delivery.py applies idempotently by event id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, get_args

from sqlite_utils import Database
from standardwebhooks import Webhook, WebhookVerificationError

from hub import store
from hub.errors import HubError
from sync.errors import InvalidValue
from sync.records import ShipmentEventKind
from sync.validators import tracking_number

EVENT_KINDS: tuple[ShipmentEventKind, ...] = get_args(ShipmentEventKind)
TERMINAL = frozenset({"delivered", "returned"})
FUTURE_SLACK_MS = 10 * 60 * 1000  # a carrier's clock may run a little ahead, not more
_TEXT_LIMIT = 200


class CarrierError(HubError):
    """A carrier event or request refused; ``code`` and ``field`` name the problem."""


@dataclass(frozen=True)
class CarrierEvent:
    """One thing that happened to a parcel, as the carrier reports it."""

    event_id: str
    tracking: str
    kind: ShipmentEventKind
    at_ms: int
    location: str = ""
    note: str = ""

    def digest(self) -> str:
        """What makes a re-sent event the same event (its id alone is not enough)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def normalise_carrier(code: object) -> str:
    if not isinstance(code, str) or not code.strip():
        raise CarrierError("carrier: name the carrier by its code (like EMS)", field="carrier")
    value = code.strip().upper()
    if len(value) > 32 or not value.replace("-", "").replace("_", "").isalnum():
        raise CarrierError(
            f"carrier: {code!r} is not a carrier code (letters, digits, '-' or '_')",
            field="carrier",
        )
    return value


def normalise_tracking(value: object) -> str:
    try:
        return tracking_number(value)
    except InvalidValue as exc:
        raise CarrierError(f"tracking: {exc.message}", field="tracking") from None


def parse_time(value: object, field: str = "at") -> int:
    """Unix milliseconds from ISO 8601 with an offset (``2026-11-23T09:30:00+08:00``) or
    from an integer of milliseconds."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        if value <= 0:
            raise CarrierError(f"{field}: milliseconds must be positive", field=field)
        return value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return int(moment.timestamp() * 1000)
    raise CarrierError(
        f"{field}: give the time as ISO 8601 with its offset, like 2026-11-23T09:30:00+08:00",
        field=field,
    )


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > _TEXT_LIMIT:
        raise CarrierError(f"{name}: text of at most {_TEXT_LIMIT} characters", field=name)
    return value.strip()


def parse_event(data: object, *, now_ms: int, event_id: str | None = None) -> CarrierEvent:
    """Check one event's fields; ``event_id`` is used when the event carries none."""
    if not isinstance(data, dict):
        raise CarrierError("send a JSON object for the event", field="event")
    raw_kind = data.get("event")
    kind = next((k for k in EVENT_KINDS if k == raw_kind), None)
    if kind is None:
        raise CarrierError(
            f"event: {raw_kind!r} is not one of {', '.join(EVENT_KINDS)}", field="event"
        )
    raw_id = data.get("event_id", event_id)
    if not isinstance(raw_id, str) or not 1 <= len(raw_id.strip()) <= 128:
        raise CarrierError(
            "event_id: the carrier's id for this event (1-128 characters)", field="event_id"
        )
    at = parse_time(data.get("at"))
    if at > now_ms + FUTURE_SLACK_MS:
        raise CarrierError("at: the event is in the future by the hub's clock", field="at")
    return CarrierEvent(
        event_id=raw_id.strip(),
        tracking=normalise_tracking(data.get("tracking")),
        kind=kind,
        at_ms=at,
        location=_text(data, "location"),
        note=_text(data, "note"),
    )


def manual_event_from(data: dict[str, Any], *, now_ms: int) -> CarrierEvent:
    """An event typed by hand: the same kind for the same parcel at the same instant is the
    same event, however the time was written, so entering it twice stores it once. Ids are
    unique per carrier, so the tracking number is part of it: two parcels returned in the
    same minute are two events."""
    event = parse_event(data, now_ms=now_ms, event_id="manual")
    return replace(event, event_id=f"manual:{event.tracking}:{event.kind}:{event.at_ms}")


# --- the webhook -----------------------------------------------------------------------------


def new_secret() -> str:
    """A carrier's webhook secret in the Standard Webhooks form (``whsec_`` + base64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def verify_webhook(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The verified JSON body of a carrier's push, or :class:`CarrierError` (401)."""
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError as exc:
        raise CarrierError(
            f"webhook signature refused: {exc}", code="bad_signature", status=401
        ) from None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        # A malformed signature header or body: the library raises whatever it hits.
        raise CarrierError(
            "webhook signature refused: malformed webhook-signature or body",
            code="bad_signature",
            status=401,
        ) from None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # nested past the parser: no JSON object either
        payload = None
    if not isinstance(payload, dict):
        raise CarrierError("the signed body is not a JSON object", field="body")
    return payload


def sign_webhook(secret: str, body: bytes, *, message_id: str, at: datetime) -> dict[str, str]:
    """The headers a carrier sends with ``body`` (used by the simulated carrier and docs)."""
    at = at.astimezone(UTC)  # the library reads the time as UTC whatever its zone
    signature = Webhook(secret).sign(message_id, at, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


# --- removing a carrier -----------------------------------------------------------------------


def remove_carrier(db: Database, code: object, *, now: int, by: str) -> str:
    """Remove a carrier: ``"removed"`` when no shipment ever named it, ``"disabled"`` when
    past shipments do (it is kept for them, its webhook refused and no longer offered for
    posting). Refused while any of its shipments is still in the post: the hub would refuse
    that parcel's events, and a citizen's result must not lose its tracking. Audited
    (``carrier_removed`` or ``carrier_disabled``)."""
    value = normalise_carrier(code)
    row = store.shipments.get_carrier(db, value)
    if row is None:
        raise CarrierError(f"no carrier {value} (see `daiban-hub carrier list`)", field="carrier")
    states = store.shipments.carrier_shipment_states(db, value)
    under_way = states.get("pending", 0) + states.get("open", 0)
    if under_way:
        raise CarrierError(
            f"carrier {value} has {under_way} shipment(s) still in the post: it stays until"
            " they are delivered or returned (`daiban-hub shipment list --state open`);"
            " if its secret leaked, `carrier rotate` it",
            field="carrier",
        )
    if states:
        if row["disabled"]:
            raise CarrierError(f"carrier {value} is already disabled", field="carrier")
        store.shipments.set_carrier_disabled(db, value, disabled=True)
        outcome = "disabled"
    else:
        store.shipments.delete_carrier(db, value)
        outcome = "removed"
    store.audit.audit(
        db, at=now, user=by, action=f"carrier_{outcome}", application=None, detail=value
    )
    return outcome
