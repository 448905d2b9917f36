"""The action server's way in for the citizen's words about their ticket
(backend/bot_api.py): the answer to a staff question lands in the ticket's
thread, and the closure verdict confirms or reopens it. Bad input gets a
clear Open311 error and changes nothing."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sanic import Sanic
from sqlalchemy import select

from backend import asking, closure, workflow
from backend.tables import ticket_events
from backend.tables import tickets as ticket_table
from tests.backend.console.test_tickets import file_ticket, move, query
from tests.backend.helpers import API_KEY, SETONOGEDONG, stored_photo

BEARER = {"Authorization": f"Bearer {API_KEY}"}


async def post(app: Sanic, path: str, body: Any, headers: Optional[Dict[str, str]] = None) -> Any:
    _, response = await app.asgi_client.post(
        f"/bot/v1/tickets/{path}", json=body, headers=BEARER if headers is None else headers
    )
    return response


async def thread(database_url: str, ticket_id: int) -> List[Any]:
    return await query(
        database_url,
        select(ticket_events)
        .where(ticket_events.c.ticket_id == ticket_id)
        .order_by(ticket_events.c.id),
    )


async def test_a_text_answer_joins_the_tickets_thread(app: Sanic, database_url: str) -> None:
    light = await file_ticket(database_url)
    response = await post(app, f"{light.service_request_id}/answers", {"text": "Depan masjid"})
    assert response.status == 201, response.text
    last = (await thread(database_url, light.id))[-1]
    assert (last.kind, last.note, last.actor) == (asking.ANSWER, "Depan masjid", asking.CITIZEN)


async def test_a_photo_and_a_pin_answer_are_kept_with_the_entry(
    app: Sanic, database_url: str
) -> None:
    light = await file_ticket(database_url)
    photo = await stored_photo(app)
    body = {"media_url": photo, "latitude": -7.8167, "longitude": 112.012}
    response = await post(app, f"{light.service_request_id}/answers", body)
    assert response.status == 201, response.text
    last = (await thread(database_url, light.id))[-1]
    assert (last.media_url, last.lat, last.long, last.note) == (photo, -7.8167, 112.012, None)


async def test_an_answer_posted_again_with_its_key_is_kept_once(
    app: Sanic, database_url: str
) -> None:
    light = await file_ticket(database_url)
    number, key = light.service_request_id, "a" * 64
    first = await post(app, f"{number}/answers", {"text": "Depan masjid", "key": key})
    again = await post(app, f"{number}/answers", {"text": "Depan masjid", "key": key})
    other = await post(app, f"{number}/answers", {"text": "Depan masjid", "key": "b" * 64})
    assert [first.status, again.status, other.status] == [201, 200, 201]
    answers = [e for e in await thread(database_url, light.id) if e.kind == asking.ANSWER]
    assert [e.key for e in answers] == [key, "b" * 64]


async def test_bad_answers_are_refused_and_nothing_is_recorded(
    app: Sanic, database_url: str
) -> None:
    light = await file_ticket(database_url)
    number = light.service_request_id
    refused = [
        (await post(app, f"{number}/answers", {"text": "x"}, headers={}), 401),
        (await post(app, f"{number}/answers", {"text": "x"}, {"Authorization": "Bearer no"}), 403),
        (await post(app, f"{number}/answers", {}), 400),
        (await post(app, f"{number}/answers", {"text": "   "}), 400),
        (await post(app, f"{number}/answers", {"latitude": -7.8}), 400),
        (await post(app, f"{number}/answers", {"text": "a\x00b"}), 400),
        (await post(app, f"{number}/answers", ["not", "an", "object"]), 400),
        (await post(app, f"{number}/answers", {"media_url": "https://evil.example/x.jpg"}), 400),
        (await post(app, f"{number}/answers", {"text": "x", "key": "kunci spasi"}), 400),
        (await post(app, "KDR-2026-999999/answers", {"text": "Depan masjid"}), 404),
    ]
    for response, status in refused:
        assert response.status == status, response.text
        assert isinstance(response.json, list) and response.json[0]["description"]
    assert [e.kind for e in await thread(database_url, light.id)] == ["status"]


async def done(database_url: str) -> Any:
    light = await file_ticket(database_url)
    await move(database_url, light.service_request_id, workflow.DONE, "Lampu sudah diganti.")
    return light


async def test_fixed_with_a_rating_is_confirmed(app: Sanic, database_url: str) -> None:
    light = await done(database_url)
    body = {"fixed": True, "rating": 4}
    response = await post(app, f"{light.service_request_id}/closure", body)
    assert response.status == 200, response.text
    assert response.json["closure_state"] == closure.CONFIRMED
    (row,) = await query(database_url, select(ticket_table).where(ticket_table.c.id == light.id))
    assert (row.closure_state, row.citizen_rating, row.workflow_status) == (
        closure.CONFIRMED,
        4,
        workflow.DONE,
    )
    last = (await thread(database_url, light.id))[-1]
    assert last.kind == closure.CLOSURE and "4 dari 5" in last.note


async def test_not_fixed_reopens_with_the_citizens_words(app: Sanic, database_url: str) -> None:
    light = await done(database_url)
    body = {"fixed": False, "words": "Lampunya mati lagi malam ini"}
    response = await post(app, f"{light.service_request_id}/closure", body)
    assert response.json["closure_state"] == closure.REOPENED
    (row,) = await query(database_url, select(ticket_table).where(ticket_table.c.id == light.id))
    assert (row.workflow_status, row.status) == (workflow.IN_PROGRESS, "open")
    last = (await thread(database_url, light.id))[-1]
    assert last.kind == closure.REOPEN and "Lampunya mati lagi malam ini" in last.note
    # Answered once: a second verdict is refused.
    again = await post(app, f"{light.service_request_id}/closure", {"fixed": True})
    assert again.status == 409


async def test_a_verdict_on_a_ticket_not_waiting_or_out_of_range_is_refused(
    app: Sanic, database_url: str
) -> None:
    light = await file_ticket(database_url)  # still open: nobody asked
    assert (await post(app, f"{light.service_request_id}/closure", {"fixed": True})).status == 409
    finished = await done(database_url)
    for body in ({"fixed": True, "rating": 9}, {"rating": 3}, {"fixed": "perhaps"}):
        response = await post(app, f"{finished.service_request_id}/closure", body)
        assert response.status == 400, body
    assert (await post(app, "KDR-2026-999999/closure", {"fixed": True})).status == 404
    (row,) = await query(database_url, select(ticket_table).where(ticket_table.c.id == finished.id))
    assert row.closure_state == closure.WAITING


# -- a similar report the citizen may follow ("laporan serupa") --------------------------


def prospect(**overrides: Any) -> Dict[str, Any]:
    near = (SETONOGEDONG[0] + 0.0002, SETONOGEDONG[1])  # about 20 m away
    body = {
        "service_code": "street_light",
        "description": "lampune mati pak, peteng",
        "latitude": near[0],
        "longitude": near[1],
    }
    return {**body, **overrides}


async def test_an_open_report_like_the_new_one_is_offered(app: Sanic, database_url: str) -> None:
    light = await file_ticket(database_url, description="Lampu jalan mati sejak 3 hari")
    _, response = await app.asgi_client.post("/bot/v1/similar", json=prospect(), headers=BEARER)
    assert response.status == 200, response.text
    (found,) = response.json["tickets"]
    assert found["service_request_id"] == light.service_request_id
    assert found["workflow_status_label"] == workflow.label(workflow.RECEIVED)
    # Another category, far away, or a closed ticket: nothing to offer.
    for other in (
        prospect(service_code="waste"),
        prospect(latitude=SETONOGEDONG[0] + 0.05),
    ):
        _, response = await app.asgi_client.post("/bot/v1/similar", json=other, headers=BEARER)
        assert response.json == {"tickets": []}
    await move(database_url, light.service_request_id, workflow.DONE, "Sudah diganti")
    _, response = await app.asgi_client.post("/bot/v1/similar", json=prospect(), headers=BEARER)
    assert response.json == {"tickets": []}


async def test_following_merges_the_new_report_without_a_second_notice(
    app: Sanic, database_url: str
) -> None:
    from backend.tables import notifications

    older = await file_ticket(database_url)
    newer = await file_ticket(database_url, description="lampune mati pak")
    response = await post(
        app, f"{newer.service_request_id}/merge", {"into": older.service_request_id}
    )
    assert response.status == 200, response.text
    (row,) = await query(database_url, select(ticket_table).where(ticket_table.c.id == newer.id))
    assert (row.workflow_status, row.merged_into_id) == (workflow.DUPLICATE, older.id)
    assert await query(database_url, select(notifications)) == []  # the bot told them
    # Later news of the older ticket reaches the follower too.
    await move(database_url, older.service_request_id, workflow.IN_PROGRESS)
    told = await query(database_url, select(notifications.c.ticket_id))
    assert sorted(t.ticket_id for t in told) == sorted([older.id, newer.id])


async def test_bad_similar_and_merge_requests_are_refused(app: Sanic, database_url: str) -> None:
    older = await file_ticket(database_url)
    for body in ({}, prospect(latitude=200), prospect(service_code="")):
        _, response = await app.asgi_client.post("/bot/v1/similar", json=body, headers=BEARER)
        assert response.status == 400, body
    _, response = await app.asgi_client.post("/bot/v1/similar", json=prospect())
    assert response.status == 401
    number = older.service_request_id
    assert (await post(app, f"{number}/merge", {"into": number})).status == 409
    assert (await post(app, f"{number}/merge", {"into": "KDR-2026-999999"})).status == 404
    assert (await post(app, f"{number}/merge", {})).status == 400
    (row,) = await query(database_url, select(ticket_table))
    assert row.workflow_status == workflow.RECEIVED
