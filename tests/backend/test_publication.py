"""The public Open311 view protects reporters until staff verify a ticket for publication."""

from __future__ import annotations

from typing import Any, Dict, Tuple

import pytest
from sanic import Sanic

from backend import keys, open311
from tests.backend.helpers import (
    API_KEY,
    SETONOGEDONG,
    count_rows,
    post_request,
    stored_photo,
    valid_form,
)

DESCRIPTION = (
    "Lampu mati depan rumah saya, hubungi 0812-3456-7890 atau +62 857 1111 2222, "
    "NIK 3571 0123 4567 0001"
)
MASKED = (
    "Lampu mati depan rumah saya, hubungi 0812-****-**** atau +62 85* **** ****, "
    "NIK 3571 **** **** ****"
)


async def _key(app: Sanic, department: str) -> str:
    # The app's engine exists once a request has started the app.
    await app.asgi_client.get("/health")
    return await keys.issue_key(app.ctx.backend.engine, department, f"petugas {department}")


async def _ticket(app: Sanic, **overrides: Any) -> str:
    lat, lon = SETONOGEDONG
    form = valid_form(
        description=DESCRIPTION,
        address_string="Jl. Dhoho 12, rumah Bu Siti 081234567890",
        lat=lat,
        long=lon,
        media_url=await stored_photo(app),
        **overrides,
    )
    status, body = await post_request(app, form)
    assert status == 201, body
    return str(body[0]["service_request_id"])


async def _public(app: Sanic, ticket: str, **params: str) -> Dict[str, Any]:
    _, response = await app.asgi_client.get(f"/open311/v2/requests/{ticket}.json", params=params)
    assert response.status == 200, response.json
    return dict(response.json[0])


async def _publish(app: Sanic, ticket: str, key: str, body: Any) -> Tuple[int, Any]:
    _, response = await app.asgi_client.post(
        f"/api/v1/requests/{ticket}/publication", json=body, headers={"X-API-Key": key}
    )
    return response.status, response.json


async def test_an_unverified_ticket_shows_no_text_photos_or_exact_place(app: Sanic) -> None:
    ticket = await _ticket(app)
    view = await _public(app, ticket)
    assert view["description"] is None
    assert view["address"] is None
    assert (view["media_url"], view["media_urls"]) == (None, [])
    # Rounded to about 110 m: the street, not the house.
    assert (view["lat"], view["long"]) == (-7.817, 112.012)
    assert view["verified_datetime"] is None
    # What a status answer needs is still there.
    assert view["status"] == "open" and view["workflow_status_label"]
    assert view["kelurahan"] == "Setonogedong"
    # And the public list is the same view.
    _, response = await app.asgi_client.get("/open311/v2/requests.json")
    assert response.json == [view]


async def test_a_verified_ticket_shows_its_text_masked_and_photos(
    app: Sanic, database_url: str
) -> None:
    ticket = await _ticket(app)
    status, staff_view = await _publish(app, ticket, await _key(app, "dishub"), {"verified": True})
    assert status == 200
    assert staff_view["history"][-1]["note"] == (
        "Diverifikasi untuk publikasi; lokasi dibulatkan (sekitar 100 m)"
    )
    assert staff_view["verified_by"] == "petugas dishub (dishub)"
    assert count_rows(database_url) == (1, 2)
    view = await _public(app, ticket)
    assert view["description"] == MASKED
    assert view["address"] == "Jl. Dhoho 12, rumah Bu Siti 0812********"
    (photo,) = view["media_urls"]
    assert view["media_url"] == photo and "/media/" in photo
    assert (view["lat"], view["long"]) == (-7.817, 112.012)
    assert view["verified_datetime"] is not None
    assert view["workflow_status"] == "diterima"  # publishing is no workflow step


async def test_a_public_place_shows_exact_coordinates(app: Sanic) -> None:
    ticket = await _ticket(app)
    status, _ = await _publish(
        app, ticket, await _key(app, keys.ADMIN), {"verified": True, "place_public": True}
    )
    assert status == 200
    view = await _public(app, ticket)
    assert (view["lat"], view["long"]) == SETONOGEDONG


async def test_withdrawing_publication_hides_the_text_again(app: Sanic) -> None:
    ticket = await _ticket(app)
    key = await _key(app, "dishub")
    await _publish(app, ticket, key, {"verified": True, "place_public": True})
    status, staff_view = await _publish(app, ticket, key, {"verified": False})
    assert status == 200
    assert staff_view["place_public"] is False
    view = await _public(app, ticket)
    assert view["description"] is None
    assert (view["lat"], view["long"]) == (-7.817, 112.012)


async def test_staff_notes_are_public_but_masked(app: Sanic) -> None:
    ticket = await _ticket(app)
    _, response = await app.asgi_client.post(
        f"/api/v1/requests/{ticket}/status",
        json={"status": "diproses", "note": "Petugas menghubungi pelapor di 0857-1111-2222"},
        headers={"X-API-Key": await _key(app, "dishub")},
    )
    assert response.status == 200
    view = await _public(app, ticket)
    assert view["status_notes"] == "Petugas menghubungi pelapor di 0857-****-****"


async def test_staff_and_trusted_clients_see_the_ticket_as_stored(app: Sanic) -> None:
    ticket = await _ticket(app, account_id="whatsapp:me")
    _, response = await app.asgi_client.get(
        f"/api/v1/requests/{ticket}", headers={"X-API-Key": await _key(app, "dishub")}
    )
    staff_view = response.json
    trusted = await _public(app, ticket, api_key=API_KEY)
    _, response = await app.asgi_client.get(
        "/open311/v2/requests.json", params={"account_id": "whatsapp:me", "api_key": API_KEY}
    )
    (own,) = response.json
    for view in (staff_view, trusted, own):
        assert view["description"] == DESCRIPTION
        assert (view["lat"], view["long"]) == SETONOGEDONG
        assert len(view["media_urls"]) == 1 and "/media/" in view["media_urls"][0]


async def test_a_wrong_api_key_gets_no_view(app: Sanic) -> None:
    ticket = await _ticket(app)
    _, response = await app.asgi_client.get(
        f"/open311/v2/requests/{ticket}.json", params={"api_key": "wrong"}
    )
    assert (response.status, response.json) == (
        403,
        [{"code": 403, "description": "api_key is not valid"}],
    )


async def test_a_public_list_is_a_smaller_page_than_a_trusted_one(
    app: Sanic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open311, "PUBLIC_PAGE", 2)
    made = [await _ticket(app) for _ in range(3)]
    _, public = await app.asgi_client.get("/open311/v2/requests.json")
    _, trusted = await app.asgi_client.get("/open311/v2/requests.json", params={"api_key": API_KEY})
    assert [t["service_request_id"] for t in public.json] == made[:0:-1]
    assert [t["service_request_id"] for t in trusted.json] == made[::-1]


async def test_only_the_responsible_department_publishes(app: Sanic, database_url: str) -> None:
    ticket = await _ticket(app)
    status, body = await _publish(app, ticket, await _key(app, "pdam"), {"verified": True})
    assert (status, body[0]["description"]) == (403, f"{ticket} belongs to another department")
    assert count_rows(database_url) == (1, 1)
    assert (await _public(app, ticket))["description"] is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "verified is required: true or false"),
        ({"verified": "ya"}, "verified is required: true or false"),
        ({"verified": True, "place_public": 1}, "place_public must be true or false"),
        (["verified"], "send a JSON object"),
    ],
)
async def test_bad_publication_requests_are_refused_and_unrecorded(
    app: Sanic, database_url: str, body, problem
) -> None:
    ticket = await _ticket(app)
    status, response = await _publish(app, ticket, await _key(app, "dishub"), body)
    assert status == 400
    assert response[0]["description"].startswith(problem)
    assert count_rows(database_url) == (1, 1)


async def test_publishing_an_unknown_ticket_is_404(app: Sanic) -> None:
    status, _ = await _publish(
        app, "KDR-2026-424242", await _key(app, "dishub"), {"verified": True}
    )
    assert status == 404
