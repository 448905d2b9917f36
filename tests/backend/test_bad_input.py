"""Input no database or header can take gets a 400 with an Open311 body, never a 500."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timezone
from typing import Any, List, Tuple
from urllib.parse import urlencode, urlsplit

import pytest
from sanic import Sanic

from backend import keys, tickets
from backend.settings import BackendSettings
from backend.tickets import NewTicket
from tests.backend.helpers import API_KEY, count_rows, post_request, valid_form
from tests.servers import Server, free_port

NUL = "\x00"


async def _engine(app: Sanic) -> Any:
    # The app's engine exists once a request has started the app.
    await app.asgi_client.get("/health")
    return app.ctx.backend.engine


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"description": f"lampu{NUL}mati"}, "description must not contain NUL characters"),
        ({"address_string": f"Jl. Dhoho{NUL}"}, "address_string must not contain NUL characters"),
        ({"first_name": f"Siti{NUL}"}, "first_name must not contain NUL characters"),
        (
            {"service_code": "social_aid", "attribute[program]": f"pkh{NUL}"},
            "attribute[program] must not contain NUL characters",
        ),
        ({f"attribute[x{NUL}]": "1"}, "a field name must not contain NUL characters"),
    ],
)
async def test_nul_in_a_form_field_is_400_and_nothing_written(
    app: Sanic, database_url: str, overrides, problem
) -> None:
    status, body = await post_request(app, valid_form(**overrides))
    assert (status, body) == (400, [{"code": 400, "description": problem}])
    assert count_rows(database_url) == (0, 0)


@pytest.mark.parametrize(
    "params",
    [
        {"service_code": f"road{NUL}"},
        {"service_request_id": f"KDR-2026-000001{NUL}"},
        {"status": f"open{NUL}"},
        {"account_id": f"whatsapp:me{NUL}", "api_key": API_KEY},
    ],
)
async def test_nul_in_a_query_parameter_is_400(app: Sanic, params) -> None:
    _, response = await app.asgi_client.get("/open311/v2/requests.json", params=params)
    assert response.status == 400
    (name,) = [n for n, v in params.items() if NUL in v]
    assert response.json == [
        {"code": 400, "description": f"{name} must not contain NUL characters"}
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"status": "diproses", "note": f"tim{NUL}"}, "note must not contain NUL characters"),
        ({"status": "diproses", "actor": f"Budi{NUL}"}, "actor must not contain NUL characters"),
        ({"status": f"diproses{NUL}"}, "status must not contain NUL characters"),
        # JSON can carry a lone surrogate, which no database driver can encode.
        ('{"status": "diproses", "note": "\\ud800"}', "note is not valid Unicode text"),
    ],
)
async def test_text_the_database_cannot_hold_is_refused_by_the_staff_api(
    app: Sanic, database_url: str, body, problem
) -> None:
    _, created = await post_request(app, valid_form())
    ticket = created[0]["service_request_id"]
    key = await keys.issue_key(await _engine(app), "dishub")
    _, response = await app.asgi_client.post(
        f"/api/v1/requests/{ticket}/status",
        content=body if isinstance(body, str) else json.dumps(body),
        headers={"X-API-Key": key, "content-type": "application/json"},
    )
    assert (response.status, response.json) == (400, [{"code": 400, "description": problem}])
    assert count_rows(database_url) == (1, 1)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/open311/v2/requests.json", "Idempotency-Key"),
        ("/api/v1/requests/KDR-2026-000001/status", "X-API-Key"),
    ],
)
async def test_header_bytes_that_are_not_ascii_are_400(
    app: Sanic, database_url: str, path: str, name: str
) -> None:
    # Sanic's ASGI path reads header bytes as latin-1.
    _, response = await app.asgi_client.post(
        path,
        content=urlencode(valid_form()),
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (name.lower().encode(), b"key-\xff\xfe"),
        ],
    )
    assert response.status == 400
    assert response.json == [{"code": 400, "description": f"{name} must be printable ASCII text"}]
    assert count_rows(database_url) == (0, 0)


def _raw_request(url: str, path: str, header: bytes, body: bytes) -> Tuple[int, Any]:
    """One HTTP/1.1 POST with a header's bytes sent as they are (no client library would)."""
    parts = urlsplit(url)

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        head = [
            f"POST {path} HTTP/1.1".encode(),
            f"Host: {parts.netloc}".encode(),
            b"Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}".encode(),
            b"Connection: close",
            header,
        ]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return answer

    answer = asyncio.run(exchange())
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/open311/v2/requests.json", "Idempotency-Key"),
        ("/api/v1/requests/KDR-2026-000001/status", "X-API-Key"),
        ("/api/v1/media", "X-API-Key"),
    ],
)
def test_header_bytes_that_are_not_utf8_are_400_on_the_real_server(
    live_backend: Server, path: str, name: str
) -> None:
    # Sanic's own server decodes them into lone surrogates, which nothing can encode.
    form = urlencode(valid_form()).encode()
    status, body = _raw_request(live_backend.url, path, name.encode() + b": \xff\xfe\xc3", form)
    assert (status, body) == (
        400,
        [{"code": 400, "description": f"{name} must be printable ASCII text"}],
    )


@pytest.mark.parametrize("name", ["X-Widget-Session", "X-Widget-Token"])
def test_widget_proof_in_bytes_that_are_not_utf8_is_no_proof(
    live_backend: Server, name: str
) -> None:
    status, body = _raw_request(
        live_backend.url, "/api/v1/widget/media", name.encode() + b": \xff\xfe\xc3", b"x"
    )
    assert status == 403, body


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        # Year 1 at +14:00 is before year 1 in UTC: datetime overflows.
        ({"start_date": "0001-01-01T00:00:00+14:00"}, "start_date must lie between"),
        ({"end_date": "9999-12-31T23:59:59-12:00"}, "end_date must lie between"),
        ({"start_date": "1969-12-31T23:59:59Z"}, "start_date must lie between"),
        ({"end_date": "3000-01-01T00:00:00Z"}, "end_date must lie between"),
    ],
)
async def test_dates_out_of_range_are_400(app: Sanic, params, problem) -> None:
    _, response = await app.asgi_client.get("/open311/v2/requests.json", params=params)
    assert response.status == 400
    assert response.json[0] == {
        "code": 400,
        "description": f"{problem} 1970-01-01 and 3000-01-01",
    }


async def test_date_filters_given_in_wib_compare_instants(app: Sanic) -> None:
    engine = await _engine(app)
    service = app.ctx.backend.catalogue.service("street_light")
    made = {}
    # 07:30 and 09:00 WIB on 1 November.
    for hour, minute in ((0, 30), (2, 0)):
        when = datetime(2026, 11, 1, hour, minute, tzinfo=timezone.utc)
        created = await tickets.create_ticket(
            engine, NewTicket(service=service, description="lampu", address="x"), now=when
        )
        made[(hour, minute)] = created.ticket.service_request_id

    async def ids(**params: str) -> List[str]:
        _, response = await app.asgi_client.get("/open311/v2/requests.json", params=params)
        assert response.status == 200, response.json
        return [t["service_request_id"] for t in response.json]

    assert await ids(start_date="2026-11-01T08:00:00+07:00") == [made[(2, 0)]]
    assert await ids(end_date="2026-11-01T08:00:00+07:00") == [made[(0, 30)]]
    # Without an offset a date is read as WIB.
    assert await ids(start_date="2026-11-01T07:30:00", end_date="2026-11-01T07:30:00") == [
        made[(0, 30)]
    ]
    assert await ids(start_date="2026-11-01T01:00:00Z", end_date="2026-11-01T02:00:00Z") == [
        made[(2, 0)]
    ]


async def test_an_unreachable_database_is_a_503_in_the_open311_shape() -> None:
    from backend.app import create_app

    dead = f"postgresql://nobody@127.0.0.1:{free_port()}/gone"
    settings = BackendSettings.load(database_url=dead, open311_api_key="test-api-key")
    app = create_app(settings, name=f"backend-dead-{uuid.uuid4().hex[:8]}")
    _, response = await app.asgi_client.get("/open311/v2/requests.json")
    assert response.status == 503
    assert response.headers["retry-after"] == "5"
    assert response.json == [
        {"code": 503, "description": "the database is unavailable; please retry shortly"}
    ]
