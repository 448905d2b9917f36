from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import List

import pytest
from sanic import Sanic

from tests.backend.helpers import post_request, valid_form


async def _ids(app: Sanic, **params: str) -> List[str]:
    _, response = await app.asgi_client.get("/open311/v2/requests.json", params=params)
    assert response.status == 200, response.json
    return [t["service_request_id"] for t in response.json]


async def _create(app: Sanic, **overrides: str) -> str:
    status, body = await post_request(app, valid_form(**overrides))
    assert status == 201
    return str(body[0]["service_request_id"])


async def test_lists_newest_first(app: Sanic) -> None:
    first = await _create(app)
    second = await _create(app, service_code="road")
    assert await _ids(app) == [second, first]


async def test_filters_by_ids_codes_and_status(app: Sanic) -> None:
    light = await _create(app)
    road = await _create(app, service_code="road")
    water = await _create(app, service_code="water")
    assert await _ids(app, service_request_id=f"{light},{water}") == [water, light]
    assert await _ids(app, service_code="road") == [road]
    assert await _ids(app, service_code="road,water") == [water, road]
    assert set(await _ids(app, status="open")) == {light, road, water}
    assert await _ids(app, status="closed") == []


async def test_service_request_id_overrides_other_filters(app: Sanic) -> None:
    light = await _create(app)
    assert await _ids(app, service_request_id=light, service_code="road") == [light]


async def test_filters_by_date_window(app: Sanic) -> None:
    ticket = await _create(app)
    now = datetime.now(timezone.utc)
    past = (now - timedelta(days=1)).isoformat()
    future = (now + timedelta(days=1)).isoformat()
    assert await _ids(app, start_date=past, end_date=future) == [ticket]
    assert await _ids(app, start_date=future) == []
    assert await _ids(app, end_date=past) == []
    # Z suffix and a WIB offset are both ISO-8601.
    assert await _ids(
        app, start_date=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ) == [ticket]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"start_date": "kemarin"}, "start_date must be an ISO-8601 date-time"),
        ({"end_date": "2026-13-45"}, "end_date must be an ISO-8601 date-time"),
        (
            {"start_date": "2026-11-02T00:00:00+07:00", "end_date": "2026-11-01T00:00:00+07:00"},
            "start_date must not be after end_date",
        ),
        ({"status": "pending"}, "status must be 'open' or 'closed'"),
        ({"limit": "0"}, "limit must be a whole number from 1 to 200"),
        ({"limit": "201"}, "limit must be a whole number from 1 to 200"),
        ({"limit": "tiga"}, "limit must be a whole number from 1 to 200"),
    ],
)
async def test_bad_query_is_400(app: Sanic, params, problem) -> None:
    _, response = await app.asgi_client.get("/open311/v2/requests.json", params=params)
    assert response.status == 400
    assert response.json[0]["description"].startswith(problem)


async def test_account_filter_needs_api_key(app: Sanic) -> None:
    mine = await _create(app, account_id="whatsapp:me")
    await _create(app, account_id="whatsapp:someone-else")
    _, response = await app.asgi_client.get(
        "/open311/v2/requests.json", params={"account_id": "whatsapp:me"}
    )
    assert response.status == 403
    assert await _ids(app, account_id="whatsapp:me", api_key="test-api-key") == [mine]


async def test_get_unknown_request_is_404(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/open311/v2/requests/KDR-2026-999999.json")
    assert response.status == 404
    assert response.json == [
        {"code": 404, "description": "service_request_id 'KDR-2026-999999' not found"}
    ]


async def test_limit_keeps_the_newest_tickets(app: Sanic) -> None:
    await _create(app, account_id="whatsapp:me")
    second = await _create(app, account_id="whatsapp:me")
    third = await _create(app, account_id="whatsapp:me")
    mine = {"account_id": "whatsapp:me", "api_key": "test-api-key"}
    assert await _ids(app, **mine, limit="2") == [third, second]
    assert len(await _ids(app, **mine)) == 3
