"""The hand-written OpenAPI document (hub/api/openapi.py) against the routes the app really has.

Every URL rule under /api/v1 (and /healthz) must be documented with each of its methods, and
every operation the document names must exist: adding a route without documenting it, or
removing one and leaving it in the document, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import openapi_spec_validator
import pytest
import requests
from flask import Flask

from hub import casework, create_app, stats, users, workflow
from hub.api.ratings import FOLLOWUP_STATES
from hub.api.shipments import SHIPMENT_STATES
from hub.catalogue import sample_catalogue
from hub.setup import init_data
from hub.workdays import SlaState
from sync.records import IdType, ShipmentEventKind
from tests.support.served import Clock, ServedHub, served_hub

NOW = 1_795_400_000_000  # 2026-11-23
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Werkzeug's <name> and <converter:name> (also <converter(args):name>).
CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
TEMPLATE = re.compile(r"\{([^{}]+)\}")
EXAMPLE_VALUES = {"sha256": "a" * 64, "app_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}

Operation = tuple[str, str]  # (OpenAPI path, lower-case method)


def documented_path(rule: str) -> str:
    return CONVERTER.sub(r"{\1}", rule)


def is_api(path: str) -> bool:
    return path == "/healthz" or path == "/api/v1" or path.startswith("/api/v1/")


def app_operations(app: Flask) -> set[Operation]:
    """(path, method) for every API rule; automatic HEAD (beside GET) and OPTIONS left out."""
    found: set[Operation] = set()
    for rule in app.url_map.iter_rules():
        path = documented_path(rule.rule)
        if rule.endpoint == "static" or not is_api(path):
            continue
        methods = set(rule.methods or ())
        if getattr(rule, "provide_automatic_options", True):
            methods.discard("OPTIONS")
        if "GET" in methods:  # Werkzeug adds HEAD to every GET rule
            methods.discard("HEAD")
        found |= {(path, method.lower()) for method in methods}
    return found


def document_operations(doc: dict[str, Any]) -> set[Operation]:
    return {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def describe(operations: set[Operation]) -> str:
    return ", ".join(f"{method.upper()} {path}" for path, method in sorted(operations))


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    with served_hub(tmp_path_factory.mktemp("openapi") / "hub", Clock(NOW)) as served:
        yield served


@pytest.fixture(scope="module")
def doc(hub: ServedHub) -> dict[str, Any]:
    response = requests.get(f"{hub.url}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_the_document_is_openapi_3_1(doc: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert isinstance(doc["paths"], dict) and doc["paths"]
    for path in doc["paths"]:
        assert path.startswith("/") and not CONVERTER.search(path), path


def test_every_route_is_documented(hub: ServedHub, doc: dict[str, Any]) -> None:
    missing = app_operations(hub.app) - document_operations(doc)
    assert not missing, f"routes missing from hub/api/openapi.py: {describe(missing)}"


def test_every_documented_operation_is_a_route(hub: ServedHub, doc: dict[str, Any]) -> None:
    extra = document_operations(doc) - app_operations(hub.app)
    assert not extra, f"hub/api/openapi.py documents routes the app lacks: {describe(extra)}"


def test_the_rules_the_document_must_cover() -> None:
    """The comparison itself: converters, automatic HEAD/OPTIONS, explicit HEAD, other paths."""
    app = Flask(__name__)
    view = lambda **_: ""  # noqa: E731
    app.add_url_rule("/healthz", "healthz", view)
    app.add_url_rule("/api/v1/blobs/<sha256>", "blob_head", view, methods=["HEAD"])
    app.add_url_rule("/api/v1/blobs/<sha256>", "blob_append", view, methods=["PATCH"])
    app.add_url_rule("/api/v1/items/<int:n>/<path:rest>", "item", view, methods=["GET", "PUT"])
    app.add_url_rule("/api/v1/opts", "opts", view, methods=["OPTIONS"])
    app.add_url_rule("/api/v10", "other_version", view)
    app.add_url_rule("/pages/<name>", "page", view)
    assert app_operations(app) == {
        ("/healthz", "get"),
        ("/api/v1/blobs/{sha256}", "head"),
        ("/api/v1/blobs/{sha256}", "patch"),
        ("/api/v1/items/{n}/{rest}", "get"),
        ("/api/v1/items/{n}/{rest}", "put"),
        ("/api/v1/opts", "options"),
    }


def test_a_route_added_without_documenting_it_fails(tmp_path: Path, doc: dict[str, Any]) -> None:
    data = tmp_path / "hub"
    init_data(data, sample_catalogue(), now=NOW)
    app = create_app(data, {"CLOCK": Clock(NOW)})
    assert app_operations(app) == document_operations(doc)
    app.add_url_rule("/api/v1/secret/<token>", "secret", lambda token: "", methods=["DELETE"])
    assert app_operations(app) - document_operations(doc) == {("/api/v1/secret/{token}", "delete")}


def test_the_blob_rule_declares_head(hub: ServedHub, doc: dict[str, Any]) -> None:
    assert ("/api/v1/blobs/{sha256}", "head") in app_operations(hub.app)
    assert {"head", "patch"} <= doc["paths"]["/api/v1/blobs/{sha256}"].keys()
    assert "get" not in doc["paths"]["/api/v1/blobs/{sha256}"]


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_operations_are_complete(doc: dict[str, Any]) -> None:
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for ref in _refs(doc):
        assert _resolve(doc, ref) is not None, ref
    operation_ids = []
    for path, item in doc["paths"].items():
        in_template = set(TEMPLATE.findall(path))
        shared = [p for p in item.get("parameters", []) if p.get("in") == "path"]
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            assert op.get("responses"), where
            params = shared + op.get("parameters", [])
            declared = {p["name"] for p in params if p.get("in") == "path"}
            assert declared == in_template, where
            assert all(p.get("required") is True for p in params if p.get("in") == "path"), where
            keys = [(p["name"], p["in"]) for p in params]
            assert len(keys) == len(set(keys)), f"{where}: a parameter twice"
            for requirement in op.get("security", doc.get("security", [])):
                assert set(requirement) <= schemes.keys(), where
            if "operationId" in op:
                operation_ids.append(op["operationId"])
    assert len(operation_ids) == len(set(operation_ids))


def _example(path: str) -> str:
    return TEMPLATE.sub(lambda m: EXAMPLE_VALUES.get(m.group(1), "x"), path)


def test_documented_security_matches_what_the_hub_enforces(
    hub: ServedHub, doc: dict[str, Any]
) -> None:
    """Operations documented as authenticated refuse an anonymous request with 401; those
    documented as open (security: []) do not; every refusal has the documented error body."""
    error = doc["components"]["schemas"]["Error"]
    for path, method in sorted(document_operations(doc)):
        op = doc["paths"][path][method]
        response = requests.request(method.upper(), hub.url + _example(path), timeout=10)
        where = f"{method.upper()} {path}: {response.status_code}"
        if op.get("security", doc.get("security")):
            assert response.status_code == 401, where
        else:
            assert response.status_code != 401, where
        if response.status_code >= 400 and method != "head":
            body = response.json()
            assert set(error["required"]) <= body.keys(), where
            assert body["ok"] is False and body["status"] == response.status_code, where


def test_the_document_is_valid_by_openapi_spec_validator(doc: dict[str, Any]) -> None:
    openapi_spec_validator.validate(doc)


def _param(doc: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    params = doc["paths"][path][method].get("parameters", [])
    found = [p for p in params if p["name"] == name]
    assert len(found) == 1, f"{method.upper()} {path} has no parameter {name}"
    schema: dict[str, Any] = found[0]["schema"]
    return schema


def _body(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    schema = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    prop: dict[str, Any] = schema["properties"][name]
    return prop


def test_enumerations_are_the_codes_own(doc: dict[str, Any]) -> None:
    """States, actions, event kinds, groupings, filters: as the code that checks them has
    them (the workflow table, the records' Literals, the API's tuples)."""
    apps, actions = "/api/v1/applications", "/api/v1/applications/{app_id}/actions"
    assert _param(doc, apps, "get", "status")["enum"] == list(workflow.STATES)
    assert _param(doc, apps, "get", "sla_state")["enum"] == list(casework.SLA_STATES)
    assert set(casework.SLA_STATES) >= set(get_args(SlaState)) | {"paused", "met", "late"}
    assert _body(doc, actions, "action")["enum"] == list(casework.API_ACTIONS)
    assert set(casework.API_ACTIONS) == {
        "route",
        "triage",
        "return_to_triage",
        "accept",
        "refuse",
        "request_supplement",
        "approve",
        "reject",
        "issue_result",
        "to_outlet",
        "close",
    }
    events = "/api/v1/shipments/{shipment_id}/events"
    assert _body(doc, events, "event")["enum"] == list(get_args(ShipmentEventKind))
    assert _body(doc, "/api/v1/carriers/{code}/events", "event")["enum"] == list(
        get_args(ShipmentEventKind)
    )
    for path in ("/api/v1/stats", "/api/v1/stats.csv"):
        assert _param(doc, path, "get", "by")["enum"] == list(stats.GROUPINGS)
    shipments = _param(doc, "/api/v1/shipments", "get", "state")["enum"]
    assert shipments == list(SHIPMENT_STATES)
    followups = _param(doc, "/api/v1/followups", "get", "state")["enum"]
    assert followups == [*FOLLOWUP_STATES, "all"]
    application = doc["components"]["schemas"]["Application"]["properties"]
    assert application["status"]["enum"] == list(workflow.STATES)
    assert application["applicant"]["properties"]["id_type"]["enum"] == list(get_args(IdType))
    for role in users.ROLES:
        assert role in doc["components"]["securitySchemes"]["bearerToken"]["description"]


@pytest.mark.parametrize(
    ("path", "name", "low", "high"),
    [
        ("/api/v1/applications", "page", 1, 1_000_000),
        ("/api/v1/applications", "per_page", 1, 500),
        ("/api/v1/devices", "stale_hours", 1, 24 * 365),
        ("/api/v1/sync/pull", "limit", 1, 2000),
        ("/api/v1/sync/pull", "cursor", 0, 2**53),
        ("/api/v1/blobs/{sha256}", "offset", 0, 2**53),
    ],
)
def test_paging_and_limits_are_bounded(doc, path, name, low, high) -> None:
    method = "patch" if "blobs" in path else "get"
    schema = _param(doc, path, method, name)
    assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", low, high)


def test_patterns_and_lengths_are_the_records_own(doc: dict[str, Any]) -> None:
    sha = _param(doc, "/api/v1/blobs/{sha256}", "patch", "sha256")
    assert re.fullmatch(sha["pattern"], "a" * 64) and not re.fullmatch(sha["pattern"], "A" * 64)
    actions = "/api/v1/applications/{app_id}/actions"
    code = _body(doc, actions, "materials")["items"]["pattern"]
    assert re.search(code, "PHOTO") and not re.search(code, "not a code")
    assert _body(doc, actions, "note")["maxLength"] == casework.NOTE_MAX == 2000
    assert _body(doc, actions, "version")["minimum"] == 1
    reason = _param(doc, "/api/v1/applications/{app_id}", "get", "reason")
    assert (reason["minLength"], reason["maxLength"]) == (1, casework.REVEAL_REASON_MAX)
    app_id = _param(doc, "/api/v1/applications/{app_id}", "get", "app_id")
    assert re.search(app_id["pattern"], EXAMPLE_VALUES["app_id"])


def test_every_operation_documents_its_errors_with_the_error_shape(doc: dict[str, Any]) -> None:
    """A 500 on every operation, the 401 on every authenticated one, and no catch-all range:
    each error status an operation answers is listed (the fuzz test checks it)."""
    for path, method in sorted(document_operations(doc)):
        op = doc["paths"][path][method]
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        assert "500" in responses, where
        assert not any(status.endswith("XX") for status in responses), where
        if op.get("security", doc.get("security")):
            assert "401" in responses, where
        for status, response in responses.items():
            if status.startswith(("4", "5")) and method != "head":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (where, status)
        if "requestBody" in op and path != "/api/v1/sync/pull":
            assert "413" in responses, where


def test_a_hub_with_another_scan_limit_documents_it(tmp_path: Path) -> None:
    with served_hub(tmp_path / "hub", Clock(NOW), MAX_BLOB_BYTES=1000) as hub:
        doc = requests.get(f"{hub.url}/api/v1/openapi.json", timeout=10).json()
    openapi_spec_validator.validate(doc)
    params = doc["paths"]["/api/v1/blobs/{sha256}"]["patch"]["parameters"]
    total = next(p for p in params if p["name"] == "total")
    assert "at most 1000," in total["description"]
