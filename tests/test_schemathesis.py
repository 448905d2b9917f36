"""schemathesis against the live backend, on SQLite and on PostgreSQL.

Every operation of backend/openapi.yaml gets generated requests, valid and
invalid; every answer must be no 5xx, a status the document lists, of its
content type and shape. Bounded (few examples, fixed seed) so both databases
take well under a minute; a failure names the request to replay with curl.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Dict, Iterator

import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.openapi import document
from tests import servers

API_KEY = "test-api-key"
EXAMPLE_TICKET_ID = "KDR-2026-000123"  # backend/openapi.yaml's
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# FUZZ_DEEP=1 digs further (more examples, and the coverage phase's edge
# cases), for a developer's run; `make test` keeps to the bounded one.
DEEP = os.environ.get("FUZZ_DEEP") == "1"
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 311,
        "suppress-health-check": ["all"],
        "generation": {
            "max-examples": 100 if DEEP else 12,
            "deterministic": not DEEP,
            "database": "none",
        },
        "phases": {"coverage": {"enabled": DEEP}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)
# Photos go as the raw body, whatever bytes were generated (the backend checks them).
schemathesis.serializer.alias(list(IMAGE_TYPES), "application/octet-stream")


@dataclass(frozen=True)
class Live:
    url: str
    admin_key: str
    widget_session: Dict[str, str]  # the headers that prove a widget's session
    ticket_id: str  # a ticket that exists, in place of the document's example id


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    database_url: str = request.getfixturevalue(f"{request.param}_url")
    admin_key = servers.run_module("backend", "issue-key", "admin", DATABASE_URL=database_url)
    logs = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    with servers.backend(database_url, logs, api_key=API_KEY) as server:
        yield Live(
            server.url,
            admin_key.strip(),
            _widget_session(server.url),
            _file_a_ticket(server.url),  # so reads answer with a ticket to check, too
        )


def _file_a_ticket(url: str) -> str:
    form = {
        "api_key": API_KEY,
        "service_code": "road",
        "description": "Jalan berlubang di depan masjid, hubungi 0812-3456-7890",
        "address_string": "Jl. Dhoho 1",
    }
    request = urllib.request.Request(
        f"{url}/open311/v2/requests.json", data=urllib.parse.urlencode(form).encode()
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        created: str = json.load(response)[0]["service_request_id"]
    return created


def _widget_session(url: str) -> Dict[str, str]:
    request = urllib.request.Request(f"{url}/api/v1/widget/sessions", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        issued = json.load(response)
    return {"X-Widget-Session": issued["session"], "X-Widget-Token": issued["token"]}


def _authorise(case: Case, live: Live) -> None:
    """The keys a caller holds, so the requests get past the door to the code behind it."""
    path = case.operation.path
    if isinstance(case.body, dict) and path == "/open311/v2/requests.json":
        case.body["api_key"] = API_KEY
    if isinstance(case.query, dict) and "account_id" in case.query:
        case.query.setdefault("api_key", API_KEY)
    if (case.path_parameters or {}).get("service_request_id") == EXAMPLE_TICKET_ID:
        case.path_parameters["service_request_id"] = live.ticket_id
    if isinstance(case.query, dict) and path == "/api/v1/widget/messages":
        case.query["session"] = live.widget_session["X-Widget-Session"]
    case.headers = {**(case.headers or {}), **_keys(path, live)}


def _keys(path: str, live: Live) -> Dict[str, str]:
    if path.startswith("/api/v1/requests/"):
        return {"X-API-Key": live.admin_key}
    if path == "/api/v1/media":
        return {"X-API-Key": API_KEY}
    if path.startswith("/api/v1/widget/"):
        return dict(live.widget_session)
    return {}


@schema.parametrize()
def test_the_live_backend_keeps_to_its_document(case: Case, live: Live) -> None:
    _authorise(case, live)
    case.call_and_validate(base_url=live.url, checks=CHECKS, timeout=30)


def test_the_document_has_every_operation_fuzzed() -> None:
    # A document that failed to load would yield no tests at all, silently.
    operations = list(schema.get_all_operations())
    assert len(operations) >= 14
    assert all(result.ok() for result in operations)
