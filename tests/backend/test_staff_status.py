from __future__ import annotations

from typing import Any, Dict, Tuple

import pytest
from sanic import Sanic

from backend import keys
from tests.backend.helpers import count_rows, post_request, valid_form


async def _key(app: Sanic, department: str) -> str:
    # The app's engine exists once a request has started the app.
    await app.asgi_client.get("/health")
    return await keys.issue_key(app.ctx.backend.engine, department, f"petugas {department}")


async def _ticket(app: Sanic, service_code: str = "street_light") -> str:
    _, body = await post_request(app, valid_form(service_code=service_code))
    return str(body[0]["service_request_id"])


async def _change(
    app: Sanic, ticket: str, key: str | None, body: Any
) -> Tuple[int, Dict[str, Any]]:
    headers = {"X-API-Key": key} if key else {}
    _, response = await app.asgi_client.post(
        f"/api/v1/requests/{ticket}/status", json=body, headers=headers
    )
    return response.status, response.json


async def test_department_moves_its_ticket_and_history_records_it(
    app: Sanic, database_url: str
) -> None:
    ticket = await _ticket(app)
    dishub = await _key(app, "dishub")
    status, body = await _change(
        app, ticket, dishub, {"status": "diproses", "note": "Tim ke lokasi", "actor": "Budi"}
    )
    assert status == 200
    assert body["workflow_status"] == "diproses" and body["status"] == "open"
    status, body = await _change(
        app, ticket, dishub, {"status": "selesai", "note": "Lampu diganti"}
    )
    assert status == 200
    assert body["status"] == "closed"
    assert body["status_notes"] == "Lampu diganti"
    assert [(e["workflow_status"], e["note"], e["actor"]) for e in body["history"]] == [
        ("diterima", None, "pelapor (open311)"),
        ("diproses", "Tim ke lokasi", "Budi (dishub)"),
        ("selesai", "Lampu diganti", "petugas dishub (dishub)"),
    ]
    assert count_rows(database_url) == (1, 3)
    # The public Open311 view shows the new state too.
    _, response = await app.asgi_client.get(f"/open311/v2/requests/{ticket}.json")
    assert response.json[0]["status"] == "closed"
    assert response.json[0]["workflow_status"] == "selesai"


async def test_other_department_cannot_move_it(app: Sanic) -> None:
    ticket = await _ticket(app)
    status, body = await _change(app, ticket, await _key(app, "pdam"), {"status": "diproses"})
    assert status == 403
    assert body[0]["description"] == f"{ticket} belongs to another department"


async def test_admin_can_move_any_ticket(app: Sanic) -> None:
    ticket = await _ticket(app, "water")
    status, _ = await _change(app, ticket, await _key(app, keys.ADMIN), {"status": "diverifikasi"})
    assert status == 200


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "X-API-Key header with a department key is required"),
        ("nope", "X-API-Key is not a valid department key"),
    ],
)
async def test_key_is_required(app: Sanic, key, problem) -> None:
    ticket = await _ticket(app)
    status, body = await _change(app, ticket, key, {"status": "diproses"})
    assert (status, body[0]["description"]) == (403, problem)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"status": "dibakar"}, "unknown status 'dibakar'"),
        ({"status": "diterima"}, "cannot move from 'diterima' to 'diterima'"),
        ({"status": "ditolak"}, "a note is required when the status becomes 'ditolak'"),
        ({"note": "x"}, "status is required"),
        (
            {"status": "diproses", "note": "n" * 2001},
            "note must be text of at most 2000 characters",
        ),
        (["diproses"], "send a JSON object"),
    ],
)
async def test_bad_changes_are_refused_and_unrecorded(
    app: Sanic, database_url: str, body, problem
) -> None:
    ticket = await _ticket(app)
    status, response = await _change(app, ticket, await _key(app, "dishub"), body)
    assert status == 400
    assert response[0]["description"].startswith(problem)
    assert count_rows(database_url) == (1, 1)


async def test_reopening_a_finished_ticket(app: Sanic) -> None:
    ticket = await _ticket(app)
    dishub = await _key(app, "dishub")
    await _change(app, ticket, dishub, {"status": "selesai", "note": "sudah"})
    status, body = await _change(app, ticket, dishub, {"status": "diproses", "note": "mati lagi"})
    assert status == 200 and body["status"] == "open"


async def test_unknown_ticket_is_404(app: Sanic) -> None:
    status, _ = await _change(
        app, "KDR-2026-424242", await _key(app, "dishub"), {"status": "diproses"}
    )
    assert status == 404


async def test_department_reads_history_of_its_ticket(app: Sanic) -> None:
    ticket = await _ticket(app)
    _, response = await app.asgi_client.get(
        f"/api/v1/requests/{ticket}", headers={"X-API-Key": await _key(app, "dishub")}
    )
    assert response.status == 200
    assert [e["workflow_status"] for e in response.json["history"]] == ["diterima"]
    _, other = await app.asgi_client.get(
        f"/api/v1/requests/{ticket}", headers={"X-API-Key": await _key(app, "dinsos")}
    )
    assert other.status == 403
