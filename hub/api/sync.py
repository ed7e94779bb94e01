"""The devices' API: enrolment, push, pull and scan upload (``/api/v1``).

Every request but enrolment is signed by an enrolled device (RFC 9421, sync/signing.py) and
every answer to a signed request is signed by the hub and bound to that request, so an agent
can tell the hub's answer from a captive portal's.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, get_args

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Blueprint, Response, current_app, jsonify, request

from hub import context, store
from hub.api.args import int_arg, read_json_body
from hub.blobs import check_digest
from hub.errors import ApiError
from hub.ingest import BatchResult, apply_batch
from hub.push_order import PushOrder
from hub.store import write
from sync import signing
from sync.batch import DecodedBatch, clock_skew_ms, decode_batch
from sync.codec import MAX_FRAME_BYTES, canonical
from sync.errors import BadSignature, DeviceRevoked, ReplayedSignature
from sync.ids import device_tag, is_uuid7
from sync.replies import encode_raw_page, state_digest, with_feed
from sync.signing import public_key_from_text
from sync.types import Millis
from sync.version import PROTOCOL_VERSION

bp = Blueprint("sync_api", __name__, url_prefix="/api/v1")

FRAME_TYPE = "application/vnd.daiban.frame"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# The correction a device added to its own clock to sign a push (protocol.md section 5).
_MILLIS_MIN, _MILLIS_MAX = get_args(Millis)[1].ge, get_args(Millis)[1].le
_CLOCK_OFFSET = re.compile(r"-?[0-9]{1,15}")


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


# --- device authentication --------------------------------------------------------------


def _verify() -> tuple[signing.Signed, dict[str, Any], dict[str, Any]]:
    """Check the request's signature (writing nothing); the signature, device and outlet."""
    db = context.get_db()
    found: dict[str, Any] = {}

    def lookup(key_id: str) -> Ed25519PublicKey | None:
        device = found["device"] = store.devices.get_device(db, key_id)
        if device is None:
            return None
        if device["revoked_at"] is not None:
            raise DeviceRevoked(f"device {key_id} was revoked: {device['revoked_reason']}")
        return public_key_from_text(device["public_key"])

    signed = signing.verify_request(
        method=request.method,
        target=signing.target_from_environ(request.environ),
        headers=list(request.headers.items()),
        body=request.get_data(cache=True),
        resolve_key=lookup,
        now=context.now_ms() // 1000,
        window=current_app.config["SIGNATURE_WINDOW"],
    )
    device = found["device"]  # read once, by the signature check
    outlet = store.devices.get_outlet(db, device["outlet"])
    assert outlet is not None
    return signed, device, outlet


def _record_contact(signed: signing.Signed, heartbeat: dict[str, Any]) -> None:
    """Spend the signature's nonce and note the contact (inside the caller's transaction)."""
    db = context.get_db()
    if not store.devices.remember_nonce(
        db, key_id=signed.key_id, nonce=signed.nonce, created=signed.created
    ):
        raise ReplayedSignature(f"nonce {signed.nonce!r} was already used by this device")
    store.devices.seen(db, signed.key_id, now=context.now_ms(), heartbeat=heartbeat)


def authenticate() -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the request's signature and note the contact; the device and its outlet."""
    signed, device, outlet = _verify()
    heartbeat = _heartbeat()
    # Not durable: a nonce lost to a power cut lets a request be replayed within the window,
    # and every signed request is idempotent (batch ids, scan offsets, read-only pulls).
    with write(context.get_db(), durable=False):
        _record_contact(signed, heartbeat)
    return device, outlet


def _heartbeat() -> dict[str, Any]:
    """What the agent reports with every request: its version and backlog."""
    agent = request.args.get("agent")
    if agent is not None and not re.fullmatch(r"[0-9A-Za-z.+\-]{1,32}", agent):
        raise ApiError(400, "invalid", "query parameter agent is not a version", field="agent")
    return {
        "agent_version": agent,
        "unsent": int_arg("unsent"),
        "quarantined": int_arg("quarantined"),
    }


@bp.after_request
def sign_answer(response: Response) -> Response:
    """Sign every answer to a signed request, binding it to that request."""
    if not request.headers.get("Signature") or response.direct_passthrough:
        return response
    keys = current_app.config["KEYS"]
    body = response.get_data()
    try:
        headers = signing.sign_response(
            status=response.status_code,
            body=body,
            key=keys.signing,
            key_id="hub",
            created=context.now_ms() // 1000,
            nonce=hashlib.sha256(body + request.headers["Signature"].encode()).hexdigest()[:32],
            request_method=request.method,
            request_target=signing.target_from_environ(request.environ),
            request_headers=list(request.headers.items()),
        )
    except BadSignature:
        # The request's Signature has no readable `daiban` signature to bind the answer to:
        # it was refused (401 bad_signature), and the answer goes unsigned (protocol.md 6).
        return response
    response.headers.update(headers)
    # This hub applies pushes in the order their `after` names: a device may keep more than
    # one on the wire (protocol.md section 7). Unsigned: whoever could forge it on the way
    # to an older hub could as well hold back or reorder that device's traffic.
    response.headers["Daiban-Push-Order"] = "1"
    return response


# --- enrolment --------------------------------------------------------------------------


@bp.post("/enroll")
def enroll() -> Response:
    """Bind a device key to an outlet with a one-time code."""
    # {code, public_key, label?, agent_version?, previous?}; 400 invalid_json for what is not
    # readable JSON (nested too deep, not UTF-8...), 400 invalid for JSON that is not an object.
    body = read_json_body()
    code, key_text = body.get("code"), body.get("public_key")
    if not isinstance(code, str) or not code.strip():
        raise ApiError(400, "invalid", "code is required", field="code")
    if not isinstance(key_text, str):
        raise ApiError(400, "invalid", "public_key is required", field="public_key")
    public_key_from_text(key_text)  # InvalidValue (400) when it is not an Ed25519 key
    label = str(body.get("label") or "")[:100]
    previous = _previous(body.get("previous"))
    db, now = context.get_db(), context.now_ms()
    with write(db):
        row = store.devices.get_enrolment_code(db, _hash_code(code))
        if row is None:
            raise ApiError(
                404,
                "enrol_code_unknown",
                "this enrolment code is not known to the hub",
                field="code",
            )
        if row["used_at"] is not None:
            raise ApiError(
                409,
                "enrol_code_used",
                "this enrolment code was already used; ask the hub operator for a new one",
                field="code",
            )
        if row["expires_at"] < now:
            raise ApiError(
                410,
                "enrol_code_expired",
                "this enrolment code has expired; ask the hub operator for a new one",
                field="code",
            )
        # Every refusal comes before anything is written: a refused request burns no code.
        successor_of = _check_previous(db, previous, key_text, row["outlet"])
        if any(d["public_key"] == key_text for d in store.devices.list_devices(db)):
            raise ApiError(
                409, "key_enrolled", "this device key is already enrolled", field="public_key"
            )
        number = store.devices.next_device_number(db)
        tag = device_tag(number)
        device_id = f"dev-{tag}"
        store.devices.add_device(
            db,
            device_id=device_id,
            outlet=row["outlet"],
            number=number,
            tag=tag,
            public_key=key_text,
            label=label,
            now=now,
            successor_of=successor_of,
        )
        store.devices.use_enrolment_code(db, row["code_hash"], device=device_id, now=now)
        outlet = store.devices.get_outlet(db, row["outlet"])
    hub = context.hub()
    keys = current_app.config["KEYS"]
    catalogue_record = hub.catalogue.to_record(hub.new_id())
    return jsonify(
        {
            "ok": True,
            "device_id": device_id,
            "tag": tag,
            "outlet": outlet,
            "hub": {
                "key_id": "hub",
                "signing_key": keys.signing_public_text,
                "sealing_key": keys.sealing_public_text,
            },
            "catalogue": json.loads(canonical(catalogue_record)),
            "protocol_version": PROTOCOL_VERSION,
            "hub_time": now,
        }
    )


def _refuse_previous(message: str, **extra: Any) -> ApiError:
    return ApiError(400, "enroll.previous", message, field="previous", **extra)


def _previous(value: Any) -> tuple[str, str] | None:
    """``previous: {device_id, signature}`` as sent (its shape only), or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _refuse_previous("previous must be an object {device_id, signature}")
    device_id, signature = value.get("device_id"), value.get("signature")
    if not isinstance(device_id, str) or not device_id or len(device_id) > 64:
        raise _refuse_previous("previous.device_id is required")
    if not isinstance(signature, str) or not signature or len(signature) > 128:
        raise _refuse_previous("previous.signature is required")
    return device_id, signature


def _check_previous(
    db: Any, previous: tuple[str, str] | None, key_text: str, outlet: str
) -> str | None:
    """The device a re-enrolling home succeeds, once its old key's proof is checked.

    The old device must be known, of the code's outlet, and its stored key must have signed
    the new key (signing.succession_message). A revoked old device may be succeeded: the
    revocation stands for its key, and the home holding it is the one enrolling again.
    """
    if previous is None:
        return None
    device_id, signature = previous
    former = store.devices.get_device(db, device_id)
    if former is None or not signing.verify_succession(
        public_key_from_text(former["public_key"]), key_text, signature
    ):
        raise _refuse_previous(
            "previous does not prove this key succeeds an enrolled device: "
            "the old device is unknown or its key did not sign the new one"
        )
    if former["outlet"] != outlet:
        raise _refuse_previous(
            f"{device_id} belongs to another outlet ({former['outlet']}) than this code "
            f"({outlet}): a device succeeds one of its own outlet only",
            reason="outlet",
            previous_outlet=former["outlet"],
        )
    return device_id


# --- push and pull ----------------------------------------------------------------------


@bp.post("/sync/push")
def push() -> Response:
    """Apply a batch exactly once, in order, and answer with its acknowledgement."""
    if (request.content_length or 0) > MAX_FRAME_BYTES:
        raise ApiError(413, "too_large", f"a batch frame is at most {MAX_FRAME_BYTES} bytes")
    arrived = context.now_ms()  # the hub's clock the device's is measured against
    signed, device, outlet = _verify()
    heartbeat = _heartbeat()
    try:
        result = _apply_push(signed, device, outlet, heartbeat, arrived)
    except ReplayedSignature:
        raise
    except Exception:
        # A refused push is still a contact: operators see the device is alive.
        with write(context.get_db(), durable=False):
            _record_contact(signed, heartbeat)
        raise
    answer = result.frame
    wants_feed = request.args.get("feed") == "1"
    if wants_feed and result.feed_after is not None and result.feed_cursor is not None:
        # The feed records the batch made, so the device need not pull them (feed is
        # append-only: the range reads the same after the commit as inside it).
        bodies = store.applications.feed_range(
            context.get_db(),
            outlet=outlet["code"],
            after=result.feed_after,
            upto=result.feed_cursor,
        )
        answer = with_feed(
            answer, after=result.feed_after, cursor=result.feed_cursor, bodies=bodies
        )
    return Response(answer, status=200, mimetype=FRAME_TYPE)


def _apply_push(
    signed: signing.Signed,
    device: dict[str, Any],
    outlet: dict[str, Any],
    heartbeat: dict[str, Any],
    arrived: int,
) -> BatchResult:
    if request.mimetype != FRAME_TYPE:  # lower-cased, without parameters
        raise ApiError(
            415,
            "unsupported_media_type",
            f"a push carries a batch frame: send it as Content-Type: {FRAME_TYPE}",
            field="Content-Type",
        )
    clock_offset = _clock_offset()
    frame = request.get_data(cache=True)
    batch = decode_batch(frame)
    if batch.device != device["id"]:
        raise ApiError(
            403,
            "wrong_device",
            f"the batch names device {batch.device} but is signed by {device['id']}",
        )
    skew_ms = _skew(signed, batch, clock_offset, arrived)
    after = _predecessor(batch.batch, device["id"])
    db = context.get_db()
    order: PushOrder = current_app.config["PUSH_ORDER"]
    with order.running(batch.batch):
        # Checked and decoded above, while the batch before it may still be applied.
        if after is not None and not order.wait_for(
            after, lambda: store.batches.device_of(db, after) == device["id"]
        ):
            raise ApiError(
                409,
                "batch.out_of_order",
                f"batch {after}, which this one follows, has not been applied; "
                "send this one again once that one is acknowledged",
                field="after",
            )
        hub = context.hub()  # after the wait: its clock stamps the batch
        with write(hub.db):  # the nonce is spent with the batch, in one commit
            _record_contact(signed, heartbeat)
            return apply_batch(
                hub,
                device=device,
                outlet=outlet,
                batch=batch,
                blobs=current_app.config["BLOBS"],
                frame=frame,
                skew_ms=skew_ms,
            )


def _clock_offset() -> int | None:
    """The ``clock_offset`` parameter: milliseconds the device added to its own clock to sign
    this push (its correction from the hub's ``hub_time``); None when it does not say."""
    raw = request.args.get("clock_offset")
    if raw is None:
        return None
    if not _CLOCK_OFFSET.fullmatch(raw):
        raise ApiError(
            400,
            "invalid",
            "query parameter clock_offset must be an integer number of milliseconds",
            field="clock_offset",
        )
    return int(raw)


def _skew(
    signed: signing.Signed, batch: DecodedBatch, clock_offset: int | None, arrived: int
) -> int:
    """The device's clock minus the hub's, measured at this very send (protocol.md 5)."""
    if clock_offset is not None and not _MILLIS_MIN <= signed.created * 1000 - clock_offset <= (
        _MILLIS_MAX
    ):
        # The device's own clock would lie outside the times records carry (1990-2200), as a
        # sent_at there is refused: an offset that large would shift capture times anywhere.
        raise ApiError(
            400,
            "invalid",
            "clock_offset puts the device's own clock outside 1990-2200",
            field="clock_offset",
        )
    return clock_skew_ms(
        created=signed.created, clock_offset=clock_offset, sent_at=batch.sent_at, now_ms=arrived
    )


def _predecessor(batch_id: str, device_id: str) -> str | None:
    """The ``after`` parameter: the batch of this device this one must be applied after."""
    after = request.args.get("after") or None
    if after is None:
        return None
    if not is_uuid7(after) or after == batch_id:
        raise ApiError(400, "invalid", "after must be the id of an earlier batch", field="after")
    owner = store.batches.device_of(context.get_db(), after)
    if owner not in (None, device_id):
        raise ApiError(400, "invalid", "after names another device's batch", field="after")
    return after


@bp.get("/sync/pull")
def pull() -> Response:
    """The outlet's changes after a cursor, a page at a time."""
    device, outlet = authenticate()
    cursor = int_arg("cursor", 0)
    default_limit = current_app.config["FEED_PAGE"]
    limit = int_arg("limit", default_limit, low=1, high=2000)
    state = request.args.get("state")
    if state is not None and not _HEX64.match(state):
        raise ApiError(400, "invalid", "state must be a SHA-256 in lowercase hex", field="state")
    db, now = context.get_db(), context.now_ms()
    rows = store.applications.feed_page(db, outlet=outlet["code"], after=cursor, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    resync = False
    if state is not None and not rows:
        # Only a device that believes it is current can be compared with the hub's view.
        resync = state != state_digest(store.applications.outlet_versions(db, outlet["code"]))
    # Feed bodies are canonical already (written by Hub.emit): framed as they are.
    frame = encode_raw_page(
        outlet=outlet["code"],
        cursor=cursor,
        next_cursor=rows[-1]["seq"] if rows else cursor,
        more=more,
        bodies=[row["body"] for row in rows],
        hub_time=now,
        resync=resync,
    )
    with write(db, durable=False):
        store.devices.seen(db, device["id"], now=now, heartbeat={"last_pull_at": now})
    return Response(frame, status=200, mimetype=FRAME_TYPE)


# --- scans ------------------------------------------------------------------------------


@bp.route("/blobs/<sha256>", methods=["HEAD"])
def blob_head(sha256: str) -> Response:
    """200 with the size if the hub holds the scan; 404 with the resume offset if not."""
    authenticate()
    blobs = current_app.config["BLOBS"]
    check_digest(sha256)
    received = blobs.received(sha256)
    if blobs.has(sha256):
        return Response(
            status=200, headers={"Upload-Offset": str(received), "Blob-Size": str(received)}
        )
    return Response(status=404, headers={"Upload-Offset": str(received)})


@bp.post("/blobs/query")
def blob_query() -> Response:
    """For many scans at once: which are missing, and where each partial upload stands."""
    authenticate()
    wanted = read_json_body().get("sha256")
    if not isinstance(wanted, list) or len(wanted) > 5000:
        raise ApiError(400, "invalid", 'send JSON {"sha256": [up to 5000 digests]}', field="sha256")
    blobs = current_app.config["BLOBS"]
    missing: dict[str, int] = {}
    for sha in wanted:
        check_digest(sha) if isinstance(sha, str) else check_digest("")
        if not blobs.has(sha):
            missing[sha] = blobs.received(sha)
        else:
            _scan_held(sha)
    return jsonify({"ok": True, "missing": missing})


def _scan_held(sha256: str) -> None:
    """The hub holds the scan: every application referencing it counts it present."""
    db = context.get_db()
    if store.applications.scan_waited_for(db, sha256):
        with write(db):
            store.applications.scan_arrived(db, sha256)


@bp.patch("/blobs/<sha256>")
def blob_append(sha256: str) -> Response:
    """Append a chunk at ``offset`` of a scan of ``total`` bytes; completes when full."""
    authenticate()
    check_digest(sha256)
    offset = int_arg("offset")
    total = int_arg("total")
    if offset is None or total is None:
        raise ApiError(400, "invalid", "offset and total query parameters are required")
    blobs = current_app.config["BLOBS"]
    new_offset = blobs.append(sha256, offset, request.get_data(cache=True), total=total)
    complete = blobs.has(sha256)
    if complete:
        # Also when the blob was complete before this request: a hub that stored the last
        # chunk and failed before marking it (a crash, a locked database) marks it now, so
        # the applications waiting for it stop waiting when the device lets its copy go.
        _scan_held(sha256)
    response = jsonify({"ok": True, "offset": new_offset, "complete": complete})
    response.headers["Upload-Offset"] = str(new_offset)
    return response
