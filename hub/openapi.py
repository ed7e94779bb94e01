"""The OpenAPI document of the hub's API, served at /api/v1/openapi.json.

Written by hand next to the routes it describes; tests/hub/test_openapi.py fails when a route
is missing from it or it names a route that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

FRAME = {"application/vnd.daiban.frame": {"schema": {"type": "string", "format": "binary"}}}
ERROR = {
    "description": "refused: JSON error body",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
SIGNED = [{"deviceSignature": []}]
BEARER = [{"bearerToken": []}]


def _json_ok(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _op(
    summary: str,
    *,
    security: list[dict[str, list[str]]] | None,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    tag: str,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {**responses, "4XX": ERROR},
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


def _p(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _object(required: list[str], **properties: str) -> dict[str, Any]:
    """A JSON request body of string properties, each with its description."""
    schema = {
        "type": "object",
        "required": required,
        "properties": {k: {"type": "string", "description": v} for k, v in properties.items()},
    }
    return {"content": {"application/json": {"schema": schema}}}


STATS_PARAMETERS = [
    _q("by", "department (default), unit, outlet or item"),
    _q("from", "first day, like 2026-11-01 (default: 30 days before to)"),
    _q("to", "last day (default: today)"),
]

HEARTBEAT = [
    _q("agent", "agent version (heartbeat)"),
    _q("unsent", "records waiting in the device outbox (heartbeat)", {"type": "integer"}),
    _q("quarantined", "records the device holds as refused (heartbeat)", {"type": "integer"}),
]

PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": _op(
            "Liveness", security=[], tag="hub", responses={"200": _json_ok("the hub is serving")}
        )
    },
    "/api/v1/openapi.json": {
        "get": _op(
            "This document", security=[], tag="hub", responses={"200": _json_ok("OpenAPI 3.1")}
        )
    },
    "/api/v1/enroll": {
        "post": _op(
            "Enrol a device with a one-time code",
            security=[],
            tag="devices",
            body={
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["code", "public_key"],
                            "properties": {
                                "code": {"type": "string"},
                                "public_key": {
                                    "type": "string",
                                    "description": "Ed25519 public key, base64url",
                                },
                                "label": {"type": "string"},
                                "agent_version": {"type": "string"},
                            },
                        }
                    }
                }
            },
            responses={"200": _json_ok("device id, receipt tag, outlet, hub keys, catalogue")},
        )
    },
    "/api/v1/sync/push": {
        "post": _op(
            "Push a batch (a frame, docs/protocol.md section 5)",
            security=SIGNED,
            tag="devices",
            parameters=[
                _q("feed", "1: the acknowledgement carries the feed records the batch made"),
                _q("after", "id of this device's batch that must be applied first"),
                *HEARTBEAT,
            ],
            body={"content": FRAME},
            responses={
                "200": {"description": "acknowledgement frame, signed by the hub", "content": FRAME}
            },
        )
    },
    "/api/v1/sync/pull": {
        "get": _op(
            "Pull the outlet's changes after a cursor",
            security=SIGNED,
            tag="devices",
            parameters=[
                _q("cursor", "last cursor applied", {"type": "integer"}),
                _q("limit", "page size (1-2000)", {"type": "integer"}),
                _q("state", "state digest of the device's view (hex SHA-256)"),
                *HEARTBEAT,
            ],
            responses={
                "200": {"description": "feed page frame, signed by the hub", "content": FRAME}
            },
        )
    },
    "/api/v1/blobs/query": {
        "post": _op(
            "Which scans the hub lacks, and where partial uploads stand",
            security=SIGNED,
            tag="devices",
            body={"content": {"application/json": {"schema": {"type": "object"}}}},
            responses={"200": _json_ok("{missing: {sha256: offset}}")},
        )
    },
    "/api/v1/blobs/{sha256}": {
        "head": _op(
            "Is this scan at the hub? Upload-Offset tells where to resume",
            security=SIGNED,
            tag="devices",
            parameters=[_p("sha256")],
            responses={
                "200": {"description": "present"},
                "404": {"description": "absent or partial"},
            },
        ),
        "patch": _op(
            "Append a chunk of a scan",
            security=SIGNED,
            tag="devices",
            parameters=[
                _p("sha256"),
                _q("offset", "where this chunk starts", {"type": "integer"}),
                _q("total", "size of the whole scan", {"type": "integer"}),
            ],
            body={
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                }
            },
            responses={"200": _json_ok("{offset, complete}")},
        ),
    },
    "/api/v1/applications": {
        "get": _op(
            "A page of the queue",
            security=BEARER,
            tag="departments",
            parameters=[
                _q("status", "workflow state"),
                _q("item", "service item code"),
                _q("unit", "department unit (operators)"),
                _q("outlet", "outlet code"),
                _q("sla_state", "on_track, due_soon, overdue, paused, met, late"),
                _q("overdue", "1 for overdue only"),
                _q("page", "from 1", {"type": "integer"}),
                _q("per_page", "1-500", {"type": "integer"}),
            ],
            responses={"200": _json_ok("applications, masked")},
        )
    },
    "/api/v1/applications/{app_id}": {
        "get": _op(
            "One application and its timeline",
            security=BEARER,
            tag="departments",
            parameters=[
                _p("app_id"),
                _q("reveal", "1 to decrypt personal data (audited)"),
                _q("reason", "why personal data is read (kept in the audit log)"),
            ],
            responses={"200": _json_ok("the application")},
        )
    },
    "/api/v1/applications/{app_id}/actions": {
        "post": _op(
            "Act on an application (docs/workflow.md)",
            security=BEARER,
            tag="departments",
            parameters=[_p("app_id")],
            body={
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["action"],
                            "properties": {
                                "action": {"type": "string"},
                                "note": {"type": "string"},
                                "materials": {"type": "array", "items": {"type": "string"}},
                                "message": {"type": "string"},
                                "unit": {"type": "string"},
                                "version": {"type": "integer"},
                                "carrier": {
                                    "type": "string",
                                    "description": "issue_result of a mailed result: post it",
                                },
                                "tracking": {
                                    "type": "string",
                                    "description": "issue_result: its tracking number",
                                },
                            },
                        }
                    }
                }
            },
            responses={"200": _json_ok("the updated application")},
        )
    },
    "/api/v1/triage": {
        "get": _op(
            "Applications no unit could be found for",
            security=BEARER,
            tag="operators",
            responses={"200": _json_ok("applications")},
        )
    },
    "/api/v1/devices": {
        "get": _op(
            "Devices: last seen, last batch, skew, backlog, version",
            security=BEARER,
            tag="operators",
            parameters=[
                _q("outlet", "outlet code"),
                _q("stale_hours", "hours without contact", {"type": "integer"}),
            ],
            responses={"200": _json_ok("devices")},
        )
    },
    "/api/v1/quarantine": {
        "get": _op(
            "Records the hub refused",
            security=BEARER,
            tag="operators",
            parameters=[_q("outlet", "outlet code")],
            responses={"200": _json_ok("records")},
        )
    },
    "/api/v1/stats/queues": {
        "get": _op(
            "Queue depth per unit and state",
            security=BEARER,
            tag="operators",
            responses={"200": _json_ok("queues")},
        )
    },
    "/api/v1/audit": {
        "get": _op(
            "Audit log of personal-data reads",
            security=BEARER,
            tag="operators",
            parameters=[_q("application", "id")],
            responses={"200": _json_ok("entries")},
        )
    },
    "/api/v1/alarms": {
        "get": _op(
            "Active alarms (e.g. next year's calendar not loaded)",
            security=BEARER,
            tag="operators",
            responses={"200": _json_ok("alarms")},
        )
    },
    "/api/v1/applications/{app_id}/shipment": {
        "post": _op(
            "Record that a result was posted (the application becomes mailed)",
            security=BEARER,
            tag="delivery",
            parameters=[_p("app_id")],
            body=_object(
                ["carrier", "tracking"],
                carrier="carrier code, like EMS",
                tracking="UPU S10 (EA123456785CN, check digit checked) or 13 domestic characters",
                at="when it was posted: ISO 8601 with offset (default now)",
            ),
            responses={"201": _json_ok("the application and its shipment")},
        )
    },
    "/api/v1/shipments": {
        "get": _op(
            "Shipments, newest first",
            security=BEARER,
            tag="delivery",
            parameters=[
                _q("state", "pending, open, delivered or returned"),
                _q("stale", "1 for open shipments with no carrier news for days"),
            ],
            responses={"200": _json_ok("shipments")},
        )
    },
    "/api/v1/shipments/{shipment_id}": {
        "get": _op(
            "A shipment and its events in event-time order",
            security=BEARER,
            tag="delivery",
            parameters=[_p("shipment_id")],
            responses={"200": _json_ok("the shipment")},
        )
    },
    "/api/v1/shipments/{shipment_id}/events": {
        "post": _op(
            "Manual entry of a carrier event",
            security=BEARER,
            tag="delivery",
            parameters=[_p("shipment_id")],
            body=_object(
                ["event", "at"],
                event="posted, in_transit, out_for_delivery, delivered, failed_attempt, returned",
                at="when it happened: ISO 8601 with offset",
                location="where",
                note="anything else the tracking page says",
            ),
            responses={"200": _json_ok("stored or duplicate, and the shipment")},
        )
    },
    "/api/v1/carriers/{code}/events": {
        "post": _op(
            "A carrier's push of one tracking event (docs/webhook.md)",
            security=[{"webhookSignature": []}],
            tag="carriers",
            parameters=[_p("code")],
            body=_object(
                ["tracking", "event", "at"],
                event_id="the carrier's id for the event (default: the webhook-id header); "
                "a re-send with the same id and content is a no-op",
                tracking="tracking number",
                event="posted, in_transit, out_for_delivery, delivered, failed_attempt, returned",
                at="when it happened: ISO 8601 with offset",
                location="where",
                note="free text",
            ),
            responses={"200": _json_ok("stored or duplicate")},
        )
    },
    "/api/v1/followups": {
        "get": _op(
            "Follow-ups of bad ratings, soonest due first",
            security=BEARER,
            tag="ratings",
            parameters=[_q("state", "open (default), resolved, excluded or all")],
            responses={"200": _json_ok("follow-ups")},
        )
    },
    "/api/v1/followups/{followup_id}/resolve": {
        "post": _op(
            "Close a follow-up with what was done",
            security=BEARER,
            tag="ratings",
            parameters=[_p("followup_id")],
            body=_object(["note"], note="what was done about the complaint"),
            responses={"200": _json_ok("the follow-up")},
        )
    },
    "/api/v1/ratings/{rating_id}/exclude": {
        "post": _op(
            "Exclude a mistaken or malicious rating from the figures",
            security=BEARER,
            tag="ratings",
            parameters=[_p("rating_id")],
            body=_object(["reason"], reason="why the rating does not count"),
            responses={"200": _json_ok("the rating")},
        )
    },
    "/api/v1/stats": {
        "get": _op(
            "Statistics per department, unit, outlet or item (docs/statistics.md)",
            security=BEARER,
            tag="statistics",
            parameters=STATS_PARAMETERS,
            responses={"200": _json_ok("rows and their total")},
        )
    },
    "/api/v1/stats.csv": {
        "get": _op(
            "The same statistics as CSV (UTF-8 with BOM)",
            security=BEARER,
            tag="statistics",
            parameters=STATS_PARAMETERS,
            responses={
                "200": {
                    "description": "CSV",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                }
            },
        )
    },
    "/api/v1/stats/daily": {
        "get": _op(
            "Applications received and completed per day",
            security=BEARER,
            tag="statistics",
            parameters=STATS_PARAMETERS[1:],
            responses={"200": _json_ok("days")},
        )
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Daiban hub API",
        "version": "1",
        "description": "Devices sign requests (RFC 9421, docs/protocol.md section 6); "
        "people use bearer tokens from `daiban-hub user add`.",
    },
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "deviceSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "Signature",
                "description": "RFC 9421 signature by an enrolled device key",
            },
            "bearerToken": {"type": "http", "scheme": "bearer"},
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
                    "status": {"type": "integer"},
                    "field": {"type": "string"},
                },
            }
        },
    },
}


@bp.get("/api/v1/openapi.json")
def document():  # type: ignore[no-untyped-def]
    return jsonify(DOCUMENT)
