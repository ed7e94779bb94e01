"""The hand-written OpenAPI document (hub/openapi.py) against the routes the app really has.

Every URL rule under /api/v1 (and /healthz) must be documented with each of its methods, and
every operation the document names must exist: adding a route without documenting it, or
removing one and leaving it in the document, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from hub import create_app
from hub.admin import init_data
from hub.catalogue import sample_catalogue
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
    assert not missing, f"routes missing from hub/openapi.py: {describe(missing)}"


def test_every_documented_operation_is_a_route(hub: ServedHub, doc: dict[str, Any]) -> None:
    extra = document_operations(doc) - app_operations(hub.app)
    assert not extra, f"hub/openapi.py documents routes the app lacks: {describe(extra)}"


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
    validator = pytest.importorskip("openapi_spec_validator")
    validate = getattr(validator, "validate", None) or validator.validate_spec
    validate(doc)
