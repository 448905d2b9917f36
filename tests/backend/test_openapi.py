"""The OpenAPI document (backend/openapi.yaml): valid, served, and in step with the routes."""

from __future__ import annotations

import re
from typing import Any, Dict, Set, Tuple

import jsonschema_rs
import pytest
import schemathesis
from sanic import Sanic

from backend.openapi import document

# The API the document describes; the pages and scripts of the widget are not API.
DOCUMENTED_PREFIXES = ("/open311/v2/", "/api/v1/", "/media/", "/health")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
# The responses whose body is the Open311 error list (TooMany adds Retry-After).
OPEN311_ERRORS = {"#/components/responses/Error", "#/components/responses/TooMany"}

Operation = Tuple[str, str]  # (METHOD, path with every parameter as {})


def _documented() -> Set[Operation]:
    return {
        (method.upper(), _shape(path))
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _routed(app: Sanic) -> Set[Operation]:
    return {
        (method, _shape(route.uri))
        for route in app.router.routes
        for method in route.methods
        if method not in ("HEAD", "OPTIONS") and route.uri.startswith(DOCUMENTED_PREFIXES)
    }


def _shape(path: str) -> str:
    """'/requests/{service_request_id}.json' and Sanic's '/requests/<name:str>' alike
    become '/requests/{}': Open311's '.json' is part of the route's parameter."""
    path = re.sub(r"\{[^}]+\}(\.json)?", "{}", path)
    return re.sub(r"<[^>]+>", "{}", path)


def test_the_document_is_a_valid_openapi_3_document() -> None:
    schema = schemathesis.openapi.from_dict(document())
    schema.validate()  # against the OpenAPI 3.0 meta-schema; raises on any fault
    assert document()["openapi"].startswith("3.0")


def test_a_broken_document_would_be_refused() -> None:
    broken: Dict[str, Any] = {**document(), "paths": {"/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_api_route_is_documented(app: Sanic) -> None:
    assert _routed(app) - _documented() == set()


def test_every_documented_operation_is_a_route(app: Sanic) -> None:
    assert _documented() - _routed(app) == set()


def test_the_errors_are_the_open311_error_list() -> None:
    components = document()["components"]
    errors = components["schemas"]["Errors"]
    assert errors["type"] == "array"
    assert errors["items"]["required"] == ["code", "description"]
    for name in ("Error", "TooMany"):
        body = components["responses"][name]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Errors"}
    for item in document()["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and status != "503":
                    assert response["$ref"] in OPEN311_ERRORS, status


async def test_the_backend_serves_the_document_as_json(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/openapi.json")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json == document()
