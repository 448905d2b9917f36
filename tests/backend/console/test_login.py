"""Signing in and out of the console, sessions, password change."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sanic import Sanic

from backend.console import sessions
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests.backend.console.helpers import (
    FORM,
    LIFETIMES,
    PASSWORD,
    log_in,
    make_person,
    signed_in,
)


async def test_a_person_signs_in_and_sees_the_home_page(app: Sanic, database_url: str) -> None:
    await make_person(database_url, "sari", ["triage"])
    response = await log_in(app, "sari")
    assert response.status == 303
    assert response.headers["location"] == "/console/"
    cookie = response.cookies[sessions.COOKIE]
    _, home = await app.asgi_client.get(
        "/console/", headers={"cookie": f"{sessions.COOKIE}={cookie}"}
    )
    assert home.status == 200
    assert "Selamat datang, Sari" in home.text
    assert "Percakapan" in home.text  # the triage role's page is on the menu
    assert "Pengguna" not in home.text  # the admin's is not


async def test_a_wrong_password_is_refused_without_saying_which_part(
    app: Sanic, database_url: str
) -> None:
    await make_person(database_url, "sari", ["triage"])
    wrong = await log_in(app, "sari", "bukan-kata-sandinya")
    unknown = await log_in(app, "siapa", PASSWORD)
    for response in (wrong, unknown):
        assert response.status == 401
        assert "Nama pengguna atau kata sandi salah." in response.text
        assert sessions.COOKIE not in response.cookies


async def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    app: Sanic, database_url: str
) -> None:
    await make_person(database_url, "sari", ["triage"])
    for _ in range(5):
        await log_in(app, "sari", "bukan-kata-sandinya")
    response = await log_in(app, "sari")
    assert response.status == 423
    assert "dikunci sementara" in response.text


async def test_a_login_without_the_forms_token_is_refused(app: Sanic, database_url: str) -> None:
    await make_person(database_url, "sari", ["triage"])
    body = urlencode({"username": "sari", "password": PASSWORD, "csrf_token": "forged"})
    _, response = await app.asgi_client.post(
        "/console/login", content=body, headers=FORM, follow_redirects=False
    )
    assert response.status == 403
    assert sessions.COOKIE not in response.cookies


async def test_after_login_the_person_returns_to_the_page_they_asked_for(
    app: Sanic, database_url: str
) -> None:
    await make_person(database_url, "sari", ["triage"])
    back = await log_in(app, "sari", next="/console/conversations?q=KDR")
    elsewhere = await log_in(app, "sari", next="https://evil.example/console")
    assert back.headers["location"] == "/console/conversations?q=KDR"
    assert elsewhere.headers["location"] == "/console/"


async def test_the_session_cookie_cannot_be_read_by_scripts(app: Sanic, database_url: str) -> None:
    await make_person(database_url, "sari", ["triage"])
    response = await log_in(app, "sari")
    header = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "konsol_sesi" in v
    )
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header


async def test_logging_out_ends_the_session_on_every_replica(app: Sanic, database_url: str) -> None:
    browser = await signed_in(database_url, "sari", ["triage"])
    _, response = await app.asgi_client.post(
        "/console/logout",
        content=urlencode({"csrf_token": browser.csrf}),
        headers=browser.form_headers(),
        follow_redirects=False,
    )
    assert response.status == 303
    _, after = await app.asgi_client.get(
        "/console/", headers=browser.headers, follow_redirects=False
    )
    assert after.status == 302
    assert after.headers["location"].startswith("/console/login")


async def test_a_session_ends_after_its_idle_time(database_url: str) -> None:
    person = await make_person(database_url, "sari", ["triage"])
    engine = create_engine(database_url)
    try:
        start = utcnow()
        token = await sessions.open_session(engine, person, LIFETIMES, now=start)
        later = start + LIFETIMES.idle - timedelta(minutes=1)
        assert await sessions.find(engine, token, LIFETIMES, now=later) is not None
        # Used a minute before its idle end: it lives another idle period from then.
        assert await sessions.find(engine, token, LIFETIMES, now=later + LIFETIMES.idle / 2)
        # Never beyond the lifetime since login, however busy.
        assert await sessions.find(engine, token, LIFETIMES, now=start + LIFETIMES.lifetime) is None
    finally:
        await engine.dispose()


async def test_an_idle_session_is_gone(database_url: str) -> None:
    person = await make_person(database_url, "sari", ["triage"])
    engine = create_engine(database_url)
    try:
        start = utcnow()
        token = await sessions.open_session(engine, person, LIFETIMES, now=start)
        gone = start + LIFETIMES.idle + timedelta(seconds=1)
        assert await sessions.find(engine, token, LIFETIMES, now=gone) is None
    finally:
        await engine.dispose()


async def test_changing_the_password_ends_the_persons_other_sessions(
    app: Sanic, database_url: str
) -> None:
    here = await signed_in(database_url, "sari", ["triage"])
    engine = create_engine(database_url)
    try:
        other = await sessions.open_session(engine, here.person, LIFETIMES)
    finally:
        await engine.dispose()
    new = "kata-sandi-baru-yang-panjang"
    body = urlencode({"csrf_token": here.csrf, "current": PASSWORD, "new": new, "confirm": new})
    _, response = await app.asgi_client.post(
        "/console/password", content=body, headers=here.form_headers()
    )
    assert response.status == 200
    assert "Kata sandi sudah diganti" in response.text
    stale = {"cookie": f"{sessions.COOKIE}={other}"}
    _, mine = await app.asgi_client.get("/console/", headers=here.headers)
    _, theirs = await app.asgi_client.get("/console/", headers=stale, follow_redirects=False)
    assert mine.status == 200
    assert theirs.status == 302
    assert (await log_in(app, "sari", new)).status == 303


async def test_a_password_change_needs_the_current_password(app: Sanic, database_url: str) -> None:
    here = await signed_in(database_url, "sari", ["triage"])
    new = "kata-sandi-baru-yang-panjang"
    body = urlencode({"csrf_token": here.csrf, "current": "salah", "new": new, "confirm": new})
    _, response = await app.asgi_client.post(
        "/console/password", content=body, headers=here.form_headers()
    )
    assert response.status == 400
    assert "Kata sandi saat ini salah." in response.text
    assert (await log_in(app, "sari")).status == 303
