"""Revealing the reporter's number on a ticket (issue 13): never on the page by
default; only as the answer to an explicit action with a reason, written to
the audit log; another department's ticket is not found."""

from __future__ import annotations

from sanic import Sanic
from sqlalchemy import select, update

from backend.tables import audit_log
from backend.tables import tickets as ticket_table
from lapor.db import create_engine
from tests.backend.console.helpers import Browser, signed_in
from tests.backend.console.test_tickets import PHONE, dishub, dlhkp, file_ticket, get, post, query

__all__ = ["dishub", "dlhkp"]  # fixtures shared with test_tickets.py

REASON = "Perlu menanyakan letak persis tiang lampu."


async def reveals(database_url: str) -> list:
    rows = await query(
        database_url,
        select(audit_log.c.actor, audit_log.c.record_id, audit_log.c.detail).where(
            audit_log.c.action == "ticket.reveal_phone"
        ),
    )
    return [(r.actor, r.record_id, r.detail) for r in rows]


async def test_the_number_is_not_on_the_ticket_page_without_the_action(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    response = await get(app, dishub, f"/console/tickets/{light.service_request_id}")
    assert response.status == 200
    assert PHONE not in response.text and PHONE[3:] not in response.text
    assert "Buka nomor pelapor" in response.text
    assert await reveals(database_url) == []


async def test_revealing_with_a_reason_shows_the_number_once_and_audits_it(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    number = light.service_request_id
    response = await post(app, dishub, f"/console/tickets/{number}/reveal", {"reason": REASON})
    assert response.status == 200
    assert PHONE in response.text
    assert "Dibuka oleh Sari untuk: “" + REASON + "”" in response.text
    assert "tercatat di jejak audit" in response.text
    assert await reveals(database_url) == [("sari", number, {"reason": REASON, "had_phone": True})]
    again = await get(app, dishub, f"/console/tickets/{number}")
    assert PHONE not in again.text


async def test_revealing_without_a_reason_is_refused(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    for reason in ("", "   ", "perlu aja"):
        response = await post(
            app, dishub, f"/console/tickets/{light.service_request_id}/reveal", {"reason": reason}
        )
        assert response.status == 400, reason
        assert "Mohon tulis alasan membuka nomor pelapor" in response.text
        assert PHONE not in response.text
    assert await reveals(database_url) == []


async def test_another_departments_number_is_not_found(
    app: Sanic, database_url: str, dlhkp: Browser
) -> None:
    light = await file_ticket(database_url)  # dishub's
    response = await post(
        app, dlhkp, f"/console/tickets/{light.service_request_id}/reveal", {"reason": REASON}
    )
    assert response.status == 404
    assert PHONE not in response.text
    assert await reveals(database_url) == []


async def test_triage_may_reveal_any_departments_number(app: Sanic, database_url: str) -> None:
    light = await file_ticket(database_url)
    triage = await signed_in(database_url, "dina", ["triage"])
    response = await post(
        app, triage, f"/console/tickets/{light.service_request_id}/reveal", {"reason": REASON}
    )
    assert response.status == 200 and PHONE in response.text


async def test_a_ticket_without_a_number_says_so(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    light = await file_ticket(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(ticket_table).values(phone=None))
    finally:
        await engine.dispose()
    response = await post(
        app, dishub, f"/console/tickets/{light.service_request_id}/reveal", {"reason": REASON}
    )
    assert response.status == 200
    assert "Pelapor tidak meninggalkan nomor telepon" in response.text
    assert [d["had_phone"] for _, _, d in await reveals(database_url)] == [False]


async def test_a_sealed_nik_opens_with_the_number_and_the_audit_names_it(
    app: Sanic, database_url: str, dishub: Browser
) -> None:
    from lapor.contact import ContactCipher
    from lapor.settings import WhatsAppSettings

    nik = "3571015708900001"
    light = await file_ticket(database_url)
    number = light.service_request_id
    # As backend/forms.py stores one: sealed with the contact key, last four digits beside.
    token = ContactCipher.from_settings(WhatsAppSettings()).seal_value(nik)
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            update(ticket_table)
            .where(ticket_table.c.id == light.id)
            .values(attributes={"nik": {"sealed": token, "last4": "0001"}})
        )
    await engine.dispose()
    page = await get(app, dishub, f"/console/tickets/{number}")
    assert nik not in page.text and "…0001 (tersegel" in page.text
    assert "Buka nomor dan NIK pelapor" in page.text
    response = await post(app, dishub, f"/console/tickets/{number}/reveal", {"reason": REASON})
    assert nik in response.text
    ((_, _, detail),) = await reveals(database_url)
    assert detail == {"reason": REASON, "had_phone": True, "sealed": ["nik"]}
