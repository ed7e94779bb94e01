"""The OpenAPI document of the hub's API, served at /api/v1/openapi.json.

Written by hand next to the routes it describes; tests/hub/test_openapi.py fails when a route
is missing from it or it names a route that does not exist, and tests/hub/test_api_fuzz.py
fuzzes a served hub from it. Every enumeration, bound and pattern is read from the code that
enforces it (the workflow table, the records' Literal and msgspec types, the API's own
limits), never typed again here.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec
from flask import Blueprint, Response, current_app, jsonify

from hub import carriers, casework, ratings, stats, users, workflow
from hub.api.applications import PAGES, PER_PAGE
from hub.api.args import FLAGS
from hub.api.devices import STALE_HOURS
from hub.api.ratings import FOLLOWUP_FILTERS, FOLLOWUP_STATES
from hub.api.shipments import SHIPMENT_STATES
from hub.settings import DEFAULTS
from sync import records as r
from sync import refusals
from sync.paging import DEFAULT_LIMIT, MAX_CURSOR_CHARS, MAX_SEARCH_CHARS
from sync.types import Code, LongText, Millis, Sha256Hex, ShortText, Uuid7, Version

bp = Blueprint("openapi", __name__)

JSON = "application/json"
FRAME_TYPE = "application/vnd.daiban.frame"
FRAME = {FRAME_TYPE: {"schema": {"type": "string", "format": "binary"}}}
Security = list[dict[str, list[str]]]
SIGNED: Security = [{"deviceSignature": []}]
BEARER: Security = [{"bearerToken": []}]
MAX_INT = 2**53  # the largest integer the device API's query parameters take
# The time forms a carrier event or a posting takes: ISO 8601 with its offset, or Unix ms.
# (from 1990 to 2200, the records' Millis: the outlet's feed carries it).
AT = {
    "oneOf": [
        {"type": "string", "format": "date-time", "description": "ISO 8601 with its offset"},
        {**msgspec.json.schema(Millis), "description": "Unix milliseconds"},
    ]
}


def _schema(annotated: Any, **extra: Any) -> dict[str, Any]:
    """The JSON Schema of a msgspec type of the records (sync/types.py), with ``extra``."""
    schema: dict[str, Any] = msgspec.json.schema(annotated)
    return {**schema, **extra}


def _enum(values: tuple[str, ...] | list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), **extra}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


# What each error status means, for every operation that answers it (docs/api.md, "Errors").
ERRORS = {
    "400": "`invalid`: a parameter or body field is refused (`field` names it); "
    "`invalid_json`: the body is not a readable JSON object",
    "401": "`unauthenticated`: no bearer token, or an unknown or disabled one",
    "403": "`forbidden`: your role may not use this endpoint",
    "404": "`not_found`: nothing of that id in your queue",
    "409": "the request conflicts with the current state",
    "410": "gone",
    "413": "`too_large`: the body is over the hub's limit",
    "415": "the body is not of the media type this operation takes",
    "422": "the content does not match its name",
    "500": "`internal`: the hub failed on this request; it is logged at the hub",
}


def _errors(*statuses: str, **descriptions: str) -> dict[str, Any]:
    """Error responses with the Error body; ``descriptions`` by ``s409=...`` override."""
    return {
        status: _error(descriptions.get(f"s{status}", ERRORS[status]))
        for status in (*statuses, "500")
    }


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema or OK}}}


def _answer(**members: dict[str, Any]) -> dict[str, Any]:
    """A JSON answer ``{"ok": true, ...members}``, each member required."""
    return {
        "type": "object",
        "required": ["ok", *members],
        "properties": {"ok": {"const": True}, **members},
    }


OK = _answer()


def _op(
    summary: str,
    operation_id: str,
    *,
    security: Security | None,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    tag: str,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "tags": [tag],
        "responses": responses,
    }
    if security is not None:
        op["security"] = security
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = body
    return op


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _p(name: str, schema: dict[str, Any] | None = None, description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema or {"type": "string"},
    }
    if description:
        param["description"] = description
    return param


def _int(low: int, high: int, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, **extra}


def _json_body(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _text(description: str, limit: int, *, required: bool = False) -> dict[str, Any]:
    """A free text field of at most ``limit`` characters; a required one is not blank."""
    schema: dict[str, Any] = {"type": "string", "maxLength": limit, "description": description}
    if required:
        schema.update(minLength=1, pattern=r"\S")
    return schema


FLAG = _enum(tuple(FLAGS))
DAY = {"type": "string", "format": "date", "description": "a day, YYYY-MM-DD (China's)"}
STATS_PARAMETERS = [
    _q("by", "how rows are grouped (default department)", _enum(stats.GROUPINGS)),
    _q("from", "first day (default: 29 days before `to`)", DAY),
    _q("to", "last day (default: today)", DAY),
]
HEARTBEAT = [
    _q(
        "agent",
        "agent version (heartbeat)",
        {"type": "string", "pattern": r"^[0-9A-Za-z.+\-]{1,32}$"},
    ),
    _q("unsent", "records waiting in the device outbox (heartbeat)", _int(0, MAX_INT)),
    _q("quarantined", "records the device holds as refused (heartbeat)", _int(0, MAX_INT)),
]
DEVICE_ERRORS = {
    "s401": "`bad_signature`, `stale_signature` or `replayed_signature`, with `hub_time`",
    "s403": "`device_revoked`",
}
APP_ID = _p("app_id", _schema(Uuid7, format="uuid"), "the application's id (UUIDv7)")
SHIPMENT_ID = _p("shipment_id", _schema(Uuid7, format="uuid"), "the shipment's id")
NULLABLE_STRING = {"type": ["string", "null"]}

# --- the objects answers carry ---------------------------------------------------------------

APPLICATION: dict[str, Any] = {
    "type": "object",
    "description": "an application, personal data masked (docs/api.md, 'The application object')",
    "required": [
        "id",
        "receipt",
        "outlet",
        "item",
        "region",
        "unit",
        "status",
        "version",
        "staff",
        "captured_at",
        "clock_flagged",
        "received_at",
        "applicant",
        "delivery",
        "materials",
        "promised",
        "missing_scans",
        "note",
        "accepted_on",
        "limit_days",
        "due_date",
        "due_provisional",
        "sla_state",
    ],
    "properties": {
        "id": _schema(Uuid7),
        "receipt": {"type": "string"},
        "outlet": {"type": "string"},
        "item": {"type": "string"},
        "region": {"type": "string"},
        "unit": NULLABLE_STRING,
        "status": _enum(workflow.STATES),
        "version": _schema(Version),
        "staff": {"type": "string"},
        "captured_at": {"type": "integer"},
        "clock_flagged": {"type": "boolean"},
        "received_at": {"type": "integer"},
        "applicant": {
            "type": "object",
            "required": ["id_type", "name", "id_number", "phone"],
            "properties": {
                "id_type": _enum(get_args(r.IdType)),
                "name": {"type": "string"},
                "id_number": {"type": "string"},
                "phone": {"type": "string"},
            },
        },
        "delivery": {
            "type": "object",
            "required": ["method", "address"],
            "properties": {
                "method": _enum([t.__struct_config__.tag for t in get_args(r.Delivery)]),
                "address": NULLABLE_STRING,
            },
        },
        "materials": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "scans"],
                "properties": {
                    "code": {"type": "string"},
                    "scans": {"type": "array", "items": _schema(Sha256Hex)},
                    "count": {"type": "integer", "minimum": 0},
                    "paper": {"type": "boolean", "description": "checked on paper, no scan"},
                    "files": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["n", "sha256", "at_hub"],
                            "properties": {
                                "n": {"type": "integer", "minimum": 1},
                                "sha256": _schema(Sha256Hex),
                                "at_hub": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
        "promised": {"type": "array", "items": {"type": "string"}},
        "missing_scans": {"type": "integer", "minimum": 0},
        "note": {"type": "string"},
        "accepted_on": {"type": ["string", "null"], "format": "date"},
        "limit_days": {"type": ["integer", "null"]},
        "due_date": {"type": ["string", "null"], "format": "date"},
        "due_provisional": {"type": "boolean"},
        "sla_state": {"enum": [*casework.SLA_STATES, None]},
    },
}
APPLICATION_DETAIL: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/Application"},
        {
            "type": "object",
            "required": ["timeline", "missing", "allowed_actions", "shipments", "rating"],
            "properties": {
                "timeline": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["at", "actor", "action", "from_status", "to_status", "note"],
                        "properties": {
                            "at": {"type": "integer"},
                            "actor": {"type": "string"},
                            "action": {"type": "string"},
                            "from_status": {"enum": [*workflow.STATES, None]},
                            "to_status": {"enum": [*workflow.STATES, None]},
                            "note": NULLABLE_STRING,
                        },
                    },
                },
                "missing": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["sha256", "material"],
                        "properties": {
                            "sha256": _schema(Sha256Hex),
                            "material": {"type": "string"},
                        },
                    },
                },
                "allowed_actions": {"type": "array", "items": _enum(casework.API_ACTIONS)},
                "shipments": {"type": "array", "items": {"$ref": "#/components/schemas/Shipment"}},
                "rating": {"type": ["object", "null"]},
                "personal": {
                    "type": "object",
                    "description": "only with reveal=1 and a reason: decrypted, audited",
                    "required": ["name", "id_type", "id_number", "phone"],
                },
            },
        },
    ]
}
SHIPMENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "application", "state", "carrier", "tracking"],
    "properties": {
        "id": _schema(Uuid7),
        "application": {"type": "string"},
        "state": _enum(SHIPMENT_STATES),
        "carrier": NULLABLE_STRING,
        "tracking": NULLABLE_STRING,
        "address_masked": NULLABLE_STRING,
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "at", "event_id"],
                "properties": {"kind": _enum(carriers.EVENT_KINDS), "at": {"type": "integer"}},
            },
        },
    },
}
FOLLOWUP: dict[str, Any] = {
    "type": "object",
    "required": ["id", "rating", "application", "state", "due_date"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "state": _enum(FOLLOWUP_STATES),
        "due_date": {"type": "string", "format": "date"},
    },
}
STATS_ROW = {
    "type": "object",
    "required": ["key", "name", *stats.COUNTS],
    "properties": {name: {"type": "integer", "minimum": 0} for name in stats.COUNTS},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


OBJECTS = {"type": "array", "items": {"type": "object"}}


def build_paths(*, max_blob_bytes: int) -> dict[str, dict[str, Any]]:
    """Every operation; ``max_blob_bytes`` is the hub's scan size limit (MAX_BLOB_BYTES)."""
    return {
        "/healthz": {
            "get": _op(
                "Liveness",
                "healthz",
                security=[],
                tag="hub",
                responses={
                    "200": _ok(
                        "the hub is serving",
                        _answer(protocol_version={"type": "integer", "minimum": 1}),
                    ),
                    **_errors(),
                },
            )
        },
        "/api/v1/openapi.json": {
            "get": _op(
                "This document",
                "openapi",
                security=[],
                tag="hub",
                responses={
                    "200": _ok(
                        "OpenAPI 3.1",
                        {"type": "object", "required": ["openapi", "info", "paths"]},
                    ),
                    **_errors(),
                },
            )
        },
        "/api/v1/enroll": {
            "post": _op(
                "Enrol a device with a one-time code",
                "enroll",
                security=[],
                tag="devices",
                body=_json_body(
                    ["code", "public_key"],
                    code={"type": "string", "minLength": 1, "pattern": r"\S"},
                    public_key={"type": "string", "description": "Ed25519 public key, base64url"},
                    label={"type": "string", "description": "cut to 100 characters"},
                    agent_version={"type": "string"},
                ),
                responses={
                    "200": _ok(
                        "device id, receipt tag, outlet, hub keys, catalogue",
                        _answer(
                            device_id={"type": "string"},
                            tag={"type": "string"},
                            outlet={"type": "object"},
                            hub={"type": "object"},
                            catalogue={"type": "object"},
                        ),
                    ),
                    **_errors(
                        "400",
                        "404",
                        "409",
                        "410",
                        "413",
                        s404="`enrol_code_unknown`",
                        s409="`enrol_code_used` or `key_enrolled`",
                        s410="`enrol_code_expired`",
                    ),
                },
            )
        },
        "/api/v1/sync/push": {
            "post": _op(
                "Push a batch (a frame, docs/protocol.md section 5)",
                "push",
                security=SIGNED,
                tag="devices",
                parameters=[
                    _q("feed", "1: the acknowledgement carries the feed records the batch made"),
                    _q(
                        "after",
                        "id of this device's batch that must be applied first",
                        _schema(Uuid7),
                    ),
                    _q(
                        "clock_offset",
                        "milliseconds the device added to its own clock to sign this push "
                        "(protocol.md section 5)",
                        _int(-(10**15) + 1, 10**15 - 1),
                    ),
                    *HEARTBEAT,
                ],
                body={"required": True, "content": FRAME},
                responses={
                    "200": {
                        "description": "acknowledgement frame, signed by the hub",
                        "content": FRAME,
                    },
                    **_errors(
                        "400",
                        "401",
                        "403",
                        "409",
                        "413",
                        "415",
                        s400="`malformed`, `unsupported_version`, `digest_mismatch` or `invalid`",
                        s403="`device_revoked` or `wrong_device`",
                        s409="`batch_conflict` or `batch.out_of_order`",
                        s413="`too_large`: a frame over 8 MiB or a payload over a protocol bound",
                        s415="not sent as application/vnd.daiban.frame",
                        **{k: v for k, v in DEVICE_ERRORS.items() if k != "s403"},
                    ),
                },
            )
        },
        "/api/v1/sync/pull": {
            "get": _op(
                "Pull the outlet's changes after a cursor",
                "pull",
                security=SIGNED,
                tag="devices",
                parameters=[
                    _q("cursor", "last cursor applied (default 0)", _int(0, MAX_INT)),
                    _q("limit", "page size (default 500)", _int(1, 2000)),
                    _q("state", "state digest of the device's view", _schema(Sha256Hex)),
                    *HEARTBEAT,
                ],
                responses={
                    "200": {"description": "feed page frame, signed by the hub", "content": FRAME},
                    **_errors("400", "401", "403", **DEVICE_ERRORS),
                },
            )
        },
        "/api/v1/blobs/query": {
            "post": _op(
                "Which scans the hub lacks, and where partial uploads stand",
                "queryBlobs",
                security=SIGNED,
                tag="devices",
                body=_json_body(
                    ["sha256"],
                    sha256={"type": "array", "maxItems": 5000, "items": _schema(Sha256Hex)},
                ),
                responses={
                    "200": _ok(
                        "the missing scans with the bytes already received of each",
                        _answer(
                            missing={
                                "type": "object",
                                "additionalProperties": {"type": "integer", "minimum": 0},
                            }
                        ),
                    ),
                    **_errors("400", "401", "403", "413", **DEVICE_ERRORS),
                },
            )
        },
        "/api/v1/blobs/{sha256}": {
            "head": _op(
                "Is this scan at the hub? Upload-Offset tells where to resume",
                "headBlob",
                security=SIGNED,
                tag="devices",
                parameters=[_p("sha256", _schema(Sha256Hex))],
                responses={
                    "200": {
                        "description": "present",
                        "headers": {
                            "Upload-Offset": _header("its size"),
                            "Blob-Size": _header("its size"),
                        },
                    },
                    "404": {
                        "description": "absent or partial",
                        "headers": {"Upload-Offset": _header("the bytes received so far")},
                    },
                    **{
                        status: {"description": description}  # HEAD: no body
                        for status, description in (
                            ("400", "`blob.bad_digest`"),
                            ("401", DEVICE_ERRORS["s401"]),
                            ("403", DEVICE_ERRORS["s403"]),
                            ("500", ERRORS["500"]),
                        )
                    },
                },
            ),
            "patch": _op(
                "Append a chunk of a scan",
                "appendBlob",
                security=SIGNED,
                tag="devices",
                parameters=[
                    _p("sha256", _schema(Sha256Hex)),
                    {**_q("offset", "where this chunk starts", _int(0, MAX_INT)), "required": True},
                    {
                        **_q(
                            "total",
                            f"size of the whole scan (at most {max_blob_bytes}, else 413)",
                            _int(0, MAX_INT),
                        ),
                        "required": True,
                    },
                ],
                body={
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                responses={
                    "200": {
                        **_ok(
                            "the new offset, and whether the scan is complete",
                            _answer(
                                offset={"type": "integer", "minimum": 0},
                                complete={"type": "boolean"},
                            ),
                        ),
                        "headers": {"Upload-Offset": _header("the new offset")},
                    },
                    **_errors(
                        "400",
                        "401",
                        "403",
                        "409",
                        "413",
                        "422",
                        s400="`blob.bad_digest`, `blob.blob` or `invalid`",
                        s409="`blob.offset_mismatch`: `expected` and Upload-Offset say where",
                        s413="`blob.too_large` (`total` over the limit) or `too_large`",
                        s422="`blob.digest_mismatch`: the upload was discarded",
                        **DEVICE_ERRORS,
                    ),
                },
            ),
        },
        "/api/v1/applications": {
            "get": _op(
                "A page of the queue",
                "listApplications",
                security=BEARER,
                tag="departments",
                parameters=[
                    _q("status", "workflow state", _enum(workflow.STATES)),
                    _q("item", "service item code"),
                    _q("unit", "department unit (operators and admins; officers get theirs)"),
                    _q("outlet", "outlet code"),
                    _q("sla_state", "time-limit state", _enum(casework.SLA_STATES)),
                    _q("overdue", "1 or true: sla_state=overdue", FLAG),
                    _q(
                        "q",
                        "search: a receipt number (whole, or its beginning: `2A7K`,"
                        " `2A7K-0000`), its counter alone (`42`), a phone tail (4 digits) or"
                        " mobile number, a name (one character: the surname) or masked name;"
                        " terms separated by spaces must all match",
                        {"type": "string", "maxLength": MAX_SEARCH_CHARS},
                    ),
                    _q(
                        "cursor",
                        "the `next_cursor` or `prev_cursor` of the page before, for the same"
                        " filters and `q`; absent: the first page",
                        {"type": "string", "maxLength": MAX_CURSOR_CHARS},
                    ),
                    _q(
                        "limit",
                        "applications per page (`per_page` too)",
                        _int(*PER_PAGE, default=DEFAULT_LIMIT),
                    ),
                    _q("page", "by number, from 1 (not with `cursor`)", _int(*PAGES, default=1)),
                    _q(
                        "per_page",
                        "applications per page",
                        _int(*PER_PAGE, default=DEFAULT_LIMIT),
                    ),
                ],
                responses={
                    "200": _ok(
                        "applications, masked, oldest first",
                        _answer(
                            total={
                                "type": "integer",
                                "minimum": 0,
                                "description": "all the applications of the filters and `q`",
                            },
                            start={
                                "type": "integer",
                                "minimum": 0,
                                "description": "the position of this page's first, from 0",
                            },
                            page={"type": "integer", "minimum": 1},
                            per_page={"type": "integer", "minimum": 1},
                            next_cursor={
                                "type": ["string", "null"],
                                "description": "the next page's `cursor`; null: the end",
                            },
                            prev_cursor={
                                "type": ["string", "null"],
                                "description": "the page before's `cursor`; null: the first",
                            },
                            applications=_list("Application"),
                        ),
                    ),
                    **_errors(
                        "400",
                        "401",
                        s400="`invalid`: a parameter is refused (`field` names it: a `cursor`"
                        " not given by this list, with these filters and `q`; a `q` of no"
                        " kind; `page` with `cursor`)",
                    ),
                },
            )
        },
        "/api/v1/applications/{app_id}": {
            "get": _op(
                "One application and its timeline",
                "getApplication",
                security=BEARER,
                tag="departments",
                parameters=[
                    APP_ID,
                    _q("reveal", "1 or true: decrypt personal data (audited)", FLAG),
                    _q(
                        "reason",
                        "why personal data is read: required with reveal, kept in the audit log",
                        _text("the reason", casework.REVEAL_REASON_MAX, required=True),
                    ),
                ],
                responses={
                    "200": _ok("the application", _answer(application=_ref("ApplicationDetail"))),
                    **_errors(
                        "400",
                        "401",
                        "403",
                        "404",
                        s400="`invalid`: `reveal` without a `reason` (or another bad parameter)",
                        s403="`forbidden`: your role may not read personal data",
                        s500="`unseal_failed`: stored personal data does not open; `internal`",
                    ),
                },
            )
        },
        "/api/v1/applications/{app_id}/actions": {
            "post": _op(
                "Act on an application (docs/workflow.md)",
                "actOnApplication",
                security=BEARER,
                tag="departments",
                parameters=[APP_ID],
                body=_json_body(
                    ["action"],
                    action=_enum(casework.API_ACTIONS),
                    note=_schema(LongText, description="to the timeline and the outlet"),
                    version=_schema(Version, description="act only if still at this version"),
                    materials={
                        "type": "array",
                        "items": _schema(Code),
                        "description": "request_supplement: the material codes needed",
                    },
                    message=_schema(LongText, description="request_supplement: in words"),
                    unit=_schema(Code, description="route: the unit to send it to"),
                    carrier={
                        "type": "string",
                        "description": "issue_result of a mailed result: post it",
                    },
                    tracking={"type": "string", "description": "issue_result: its tracking"},
                    reason=_enum(
                        tuple(x.code for x in refusals.REASONS),
                        description="refuse, reject: required, why (sync/refusals.py;"
                        " `other` needs a `note`); the outlet is told its words",
                    ),
                ),
                responses={
                    "200": _ok("the updated application", _answer(application=_ref("Application"))),
                    **_errors(
                        "400",
                        "401",
                        "403",
                        "404",
                        "409",
                        "413",
                        s403="`action_not_allowed`: your role may never take this action",
                        s400="`refusal_reason`: a refusal without a reason (or `other`"
                        " without a note); `invalid`",
                        s409="`version_stale`, `illegal_transition`, `tracking_in_use`",
                    ),
                },
            )
        },
        "/api/v1/applications/{app_id}/materials/{material}/{n}": {
            "get": _op(
                "One scan of a material, unsealed (personal data: a reason, audited)",
                "getScan",
                security=BEARER,
                tag="departments",
                parameters=[
                    APP_ID,
                    _p("material", _schema(Code), "the material's code, as in `materials`"),
                    _p("n", _int(1, MAX_INT), "the scan's number `n` in `files`, from 1"),
                    {
                        **_q(
                            "reason",
                            "why the scan is read: kept in the audit log",
                            _text("the reason", casework.REVEAL_REASON_MAX, required=True),
                        ),
                        "required": True,
                    },
                ],
                responses={
                    "200": {
                        "description": "the scanned page as the outlet photographed it; "
                        "a type a browser may show is sent `inline`, any other as "
                        "application/octet-stream to save (`attachment`)",
                        "headers": {
                            name: {"description": text, "schema": {"type": "string"}}
                            for name, text in (
                                ("Content-Disposition", "inline or attachment, with a filename"),
                                ("Cache-Control", "no-store"),
                                ("X-Content-Type-Options", "nosniff"),
                            )
                        },
                        "content": {
                            media: {"schema": {"type": "string", "format": "binary"}}
                            for media in (
                                *casework.INLINE_MEDIA_TYPES,
                                casework.DOWNLOAD_MEDIA_TYPE,
                            )
                        },
                    },
                    **_errors(
                        "400",
                        "401",
                        "403",
                        "404",
                        "409",
                        "422",
                        s400="`invalid`: no `reason` (blank, or over 500 characters)",
                        s403="`forbidden`: your role may not read personal data",
                        s404="`not_found`: no such application in your queue; "
                        "`scan.not_found`: no such material or scan number",
                        s409="`scan.not_uploaded`: the outlet's upload has not reached the hub "
                        "yet (`received`: its bytes so far)",
                        s422="`scan.unseal_failed`: the bytes do not open for this application",
                    ),
                },
            )
        },
        "/api/v1/triage": {
            "get": _op(
                "Applications no unit could be found for",
                "listTriage",
                security=BEARER,
                tag="operators",
                responses={
                    "200": _ok(
                        "up to 500 applications, oldest first, and their total",
                        _answer(
                            total={"type": "integer", "minimum": 0},
                            applications=_list("Application"),
                        ),
                    ),
                    **_errors("401", "403"),
                },
            )
        },
        "/api/v1/devices": {
            "get": _op(
                "Devices: last seen, last batch, skew, backlog, version",
                "listDevices",
                security=BEARER,
                tag="operators",
                parameters=[
                    _q("outlet", "outlet code"),
                    _q(
                        "stale_hours",
                        "hours without contact that make a device stale",
                        _int(*STALE_HOURS, default=24),
                    ),
                ],
                responses={
                    "200": _ok("devices", _answer(devices=OBJECTS)),
                    **_errors("400", "401", "403"),
                },
            )
        },
        "/api/v1/quarantine": {
            "get": _op(
                "Records the hub refused",
                "listQuarantine",
                security=BEARER,
                tag="operators",
                parameters=[_q("outlet", "outlet code")],
                responses={
                    "200": _ok("the latest 200, newest first", _answer(records=OBJECTS)),
                    **_errors("401", "403"),
                },
            )
        },
        "/api/v1/stats/dashboard": {
            "get": _op(
                "The operator's dashboard figures (the same as the page's)",
                "dashboardFigures",
                security=BEARER,
                tag="operators",
                responses={
                    "200": _ok(
                        "the figures and when they were computed",
                        _answer(
                            computed_at=_schema(Millis),
                            today=DAY,
                            received_today={"type": "integer", "minimum": 0},
                            overdue={"type": "integer", "minimum": 0},
                            due_soon={"type": "integer", "minimum": 0},
                            supplements={"type": "object"},
                            waiting=OBJECTS,
                            sync={"type": "object"},
                            queue={"type": "object"},
                            outlets={"type": "object"},
                        ),
                    ),
                    **_errors("401", "403"),
                },
            )
        },
        "/api/v1/stats/queues": {
            "get": _op(
                "Queue depth per unit and state",
                "queueStats",
                security=BEARER,
                tag="operators",
                responses={
                    "200": _ok("queues", _answer(queues=OBJECTS)),
                    **_errors("401"),
                },
            )
        },
        "/api/v1/audit": {
            "get": _op(
                "Audit log of personal-data reads",
                "auditLog",
                security=BEARER,
                tag="operators",
                parameters=[_q("application", "an application id: all its entries")],
                responses={
                    "200": _ok("entries", _answer(entries=OBJECTS)),
                    **_errors("401", "403"),
                },
            )
        },
        "/api/v1/alarms": {
            "get": _op(
                "Active alarms (e.g. next year's calendar not loaded)",
                "listAlarms",
                security=BEARER,
                tag="operators",
                responses={
                    "200": _ok("alarms", _answer(alarms=OBJECTS)),
                    **_errors("401", "403"),
                },
            )
        },
        "/api/v1/applications/{app_id}/shipment": {
            "post": _op(
                "Record that a result was posted (the application becomes mailed)",
                "postShipment",
                security=BEARER,
                tag="delivery",
                parameters=[APP_ID],
                body=_json_body(
                    ["carrier", "tracking"],
                    carrier={"type": "string", "description": "carrier code, like EMS"},
                    tracking={
                        "type": "string",
                        "description": "UPU S10 (EA123456785CN, check digit checked) or 13 "
                        "domestic characters",
                    },
                    at={**AT, "description": "when it was posted (default now)"},
                ),
                responses={
                    "201": _ok(
                        "the application and its shipment",
                        _answer(application=_ref("Application"), shipment=_ref("Shipment")),
                    ),
                    **_errors(
                        "400",
                        "401",
                        "404",
                        "409",
                        "413",
                        s400="`invalid` or `unknown_carrier` (`field` names it)",
                        s409="`illegal_transition`, `not_mail` or `tracking_in_use`",
                    ),
                },
            )
        },
        "/api/v1/shipments": {
            "get": _op(
                "Shipments, newest first",
                "listShipments",
                security=BEARER,
                tag="delivery",
                parameters=[
                    _q("state", "shipment state", _enum(SHIPMENT_STATES)),
                    _q("stale", "1 or true: open shipments with no carrier news for days", FLAG),
                ],
                responses={
                    "200": _ok("the latest 200", _answer(shipments=_list("Shipment"))),
                    **_errors("400", "401"),
                },
            )
        },
        "/api/v1/shipments/{shipment_id}": {
            "get": _op(
                "A shipment and its events in event-time order",
                "getShipment",
                security=BEARER,
                tag="delivery",
                parameters=[SHIPMENT_ID],
                responses={
                    "200": _ok("the shipment", _answer(shipment=_ref("Shipment"))),
                    **_errors("401", "404"),
                },
            )
        },
        "/api/v1/shipments/{shipment_id}/events": {
            "post": _op(
                "Manual entry of a carrier event",
                "addShipmentEvent",
                security=BEARER,
                tag="delivery",
                parameters=[SHIPMENT_ID],
                body=_json_body(
                    ["event", "at"],
                    event=_enum(carriers.EVENT_KINDS),
                    at={**AT, "description": "when it happened (at most 10 minutes ahead)"},
                    location=_schema(ShortText, description="where"),
                    note=_schema(ShortText, description="anything else the tracking page says"),
                ),
                responses={
                    "200": _ok(
                        "stored or duplicate, and the shipment",
                        _answer(outcome=_enum(("stored", "duplicate")), shipment=_ref("Shipment")),
                    ),
                    **_errors(
                        "400",
                        "401",
                        "404",
                        "409",
                        "413",
                        s409="`not_posted`, `event_id_reused` or `shipment_closed`",
                    ),
                },
            )
        },
        "/api/v1/carriers/{code}/events": {
            "post": _op(
                "A carrier's push of one tracking event (docs/webhook.md)",
                "carrierWebhook",
                security=[{"webhookSignature": []}],
                tag="carriers",
                parameters=[_p("code", description="the carrier's code, like EMS")],
                body=_json_body(
                    ["tracking", "event", "at"],
                    event_id={
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 128,
                        "description": "the carrier's id for the event (default: the "
                        "webhook-id header); a re-send with the same id and content is a no-op",
                    },
                    tracking={"type": "string", "description": "tracking number"},
                    event=_enum(carriers.EVENT_KINDS),
                    at={**AT, "description": "when it happened"},
                    location=_schema(ShortText, description="where"),
                    note=_schema(ShortText, description="free text"),
                ),
                responses={
                    "200": _ok(
                        "stored or duplicate",
                        _answer(
                            outcome=_enum(("stored", "duplicate")), shipment={"type": "string"}
                        ),
                    ),
                    **_errors(
                        "400",
                        "401",
                        "404",
                        "409",
                        "413",
                        s401="`bad_signature` or `unknown_carrier`",
                        s404="`unknown_shipment`",
                        s409="`event_id_reused` or `shipment_closed`",
                    ),
                },
            )
        },
        "/api/v1/followups": {
            "get": _op(
                "Follow-ups of bad ratings, soonest due first",
                "listFollowups",
                security=BEARER,
                tag="ratings",
                parameters=[
                    _q(
                        "state",
                        "which follow-ups (default open)",
                        _enum(FOLLOWUP_FILTERS, default="open"),
                    )
                ],
                responses={
                    "200": _ok("follow-ups", _answer(followups=_list("Followup"))),
                    **_errors("400", "401"),
                },
            )
        },
        "/api/v1/followups/{followup_id}/resolve": {
            "post": _op(
                "Close a follow-up with what was done",
                "resolveFollowup",
                security=BEARER,
                tag="ratings",
                parameters=[_p("followup_id", {"type": "integer", "minimum": 1})],
                body=_json_body(
                    ["note"],
                    note=_text(
                        "what was done about the complaint", ratings.NOTE_LIMIT, required=True
                    ),
                ),
                responses={
                    "200": _ok("the follow-up", _answer(followup=_ref("Followup"))),
                    **_errors("400", "401", "404", "409", "413", s409="`followup_closed`"),
                },
            )
        },
        "/api/v1/ratings/{rating_id}/exclude": {
            "post": _op(
                "Exclude a mistaken or malicious rating from the figures",
                "excludeRating",
                security=BEARER,
                tag="ratings",
                parameters=[_p("rating_id", _schema(Uuid7, format="uuid"))],
                body=_json_body(
                    ["reason"],
                    reason=_text(
                        "why the rating does not count", ratings.NOTE_LIMIT, required=True
                    ),
                ),
                responses={
                    "200": _ok("the rating", _answer(rating={"type": "object"})),
                    **_errors("400", "401", "403", "404", "409", "413", s409="`rating_excluded`"),
                },
            )
        },
        "/api/v1/stats": {
            "get": _op(
                "Statistics per department, unit, outlet or item (docs/statistics.md)",
                "statistics",
                security=BEARER,
                tag="statistics",
                parameters=STATS_PARAMETERS,
                responses={
                    "200": _ok(
                        "rows and their total",
                        _answer(
                            by=_enum(stats.GROUPINGS),
                            **{"from": DAY, "to": DAY},
                            rows={"type": "array", "items": STATS_ROW},
                            total=STATS_ROW,
                        ),
                    ),
                    **_errors("400", "401"),
                },
            )
        },
        "/api/v1/stats.csv": {
            "get": _op(
                "The same statistics as CSV (UTF-8 with BOM)",
                "statisticsCsv",
                security=BEARER,
                tag="statistics",
                parameters=STATS_PARAMETERS,
                responses={
                    "200": {
                        "description": "CSV",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **_errors("400", "401"),
                },
            )
        },
        "/api/v1/stats/daily": {
            "get": _op(
                "Applications received and completed per day",
                "statisticsDaily",
                security=BEARER,
                tag="statistics",
                parameters=STATS_PARAMETERS[1:],
                responses={
                    "200": _ok(
                        "days",
                        _answer(
                            **{"from": DAY, "to": DAY},
                            days={
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["day", "received", "completed"],
                                },
                            },
                        ),
                    ),
                    **_errors("400", "401"),
                },
            )
        },
    }


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


def build_document(*, max_blob_bytes: int) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Daiban hub API",
            "version": "1",
            "description": "Devices sign requests (RFC 9421, docs/protocol.md section 6); "
            "people use bearer tokens from `daiban-hub user add`. Every refusal has the "
            "Error shape; docs/api.md lists its codes.",
        },
        "paths": build_paths(max_blob_bytes=max_blob_bytes),
        "components": {
            "securitySchemes": {
                "deviceSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Signature",
                    "description": "RFC 9421 signature by an enrolled device key",
                },
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a user's API token (dbt_...); roles: " + ", ".join(users.ROLES),
                },
                "webhookSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "webhook-signature",
                    "description": "Standard Webhooks HMAC-SHA256 with the carrier's secret, "
                    "with webhook-id and webhook-timestamp (docs/webhook.md)",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["ok", "code", "error", "status"],
                    "properties": {
                        "ok": {"const": False},
                        "code": {"type": "string"},
                        "error": {"type": "string"},
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "field": {"type": "string"},
                        "hub_time": {"type": "integer", "description": "401 signature codes"},
                        "expected": {"type": "integer", "description": "blob.offset_mismatch"},
                    },
                },
                "Application": APPLICATION,
                "ApplicationDetail": APPLICATION_DETAIL,
                "Shipment": SHIPMENT,
                "Followup": FOLLOWUP,
            },
        },
    }


DOCUMENT: dict[str, Any] = build_document(max_blob_bytes=DEFAULTS["MAX_BLOB_BYTES"])
PATHS: dict[str, dict[str, Any]] = DOCUMENT["paths"]


@bp.get("/api/v1/openapi.json")
def document() -> Response:
    """The document, with the limits this hub is configured with."""
    limit = current_app.config["MAX_BLOB_BYTES"]
    if limit == DEFAULTS["MAX_BLOB_BYTES"]:
        return jsonify(DOCUMENT)
    return jsonify(build_document(max_blob_bytes=limit))
