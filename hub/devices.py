"""Devices (outlet laptops and runners' phones): their one-time enrolment codes, the QR code
that carries one, and revocation."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from hub import store
from hub.errors import HubError
from sync.ids import TAG_ALPHABET

REASON_MAX = 500  # characters of the reason a device is revoked for (audited)


class DeviceError(HubError):
    """A device command refused; the message is shown as it is."""


def enrolment_code(db: Database, *, outlet: str, now: int, ttl_s: int) -> dict[str, Any]:
    """A one-time code binding the next device to ``outlet``; only its hash is stored."""
    if store.devices.get_outlet(db, outlet) is None:
        raise DeviceError(f"no outlet {outlet}: add it with `daiban-hub outlet add` first")
    raw = "".join(secrets.choice(TAG_ALPHABET) for _ in range(12))
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    expires_at = now + ttl_s * 1000
    store.devices.add_enrolment_code(
        db,
        code_hash=hashlib.sha256(raw.encode()).hexdigest(),
        outlet=outlet,
        now=now,
        expires_at=expires_at,
    )
    return {"code": code, "outlet": outlet, "expires_at": expires_at}


ENROL_URI = "daiban://enroll?hub={hub}&code={code}"


def enrolment_uri(hub_url: str, code: str) -> str:
    """What an enrolment QR code holds: ``daiban://enroll?hub=<hub-url>&code=<code>``, the two
    arguments of ``daiban-agent enroll HUB_URL CODE``. The hub address keeps its ``:`` and
    ``/`` as typed; anything that would break the query (``&``, ``#``, ``?``, ``=``, ``%``,
    spaces, non-ASCII) is percent-encoded, so ``urllib.parse.parse_qs`` gives both back."""
    return ENROL_URI.format(hub=quote(hub_url, safe=":/"), code=quote(code, safe="-"))


def revoke_device(db: Database, *, device_id: str, reason: str, by: str, now: int) -> None:
    """Refuse every further request from a device (lost or stolen laptop), with the reason
    recorded on the device and in the audit log (``revoke_device``, by whom)."""
    reason = reason.strip()
    if not reason:
        raise DeviceError("say why the device is revoked")
    if len(reason) > REASON_MAX:
        raise DeviceError(f"a reason is at most {REASON_MAX} characters")
    if store.devices.get_device(db, device_id) is None:
        raise DeviceError(f"no device {device_id}")
    if not store.devices.revoke_device(db, device_id, reason=reason, now=now):
        raise DeviceError(f"device {device_id} was already revoked")
    store.audit.audit(
        db,
        at=now,
        user=by,
        action="revoke_device",
        application=None,
        detail=f"{device_id}: {reason}",
    )


def device_rows(
    db: Database, now: int, outlet: str | None = None, *, stale_hours: int = 24
) -> list[dict[str, Any]]:
    """Every device (of one outlet) without its key; ``stale`` when not revoked and not seen
    for ``stale_hours`` (shared by the API and the pages)."""
    stale_after = stale_hours * 3600 * 1000
    out = []
    for d in store.devices.list_devices(db, outlet):
        row = {k: v for k, v in d.items() if k != "public_key"}
        row["stale"] = d["revoked_at"] is None and (
            d["last_seen_at"] is None or now - d["last_seen_at"] > stale_after
        )
        out.append(row)
    return out
