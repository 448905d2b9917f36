"""The admin's users pages: list, create, edit, disable, reset password."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union
from urllib.parse import urlencode

from sanic import Sanic
from sanic_testing.testing import TestingResponse as Reply
from sqlalchemy import func, select

from backend import people
from backend.tables import audit_log, users
from lapor.db import create_engine
from tests.backend.console.helpers import PASSWORD, Browser, log_in, make_person, signed_in

NEW_PASSWORD = "kata-sandi-baru-panjang-sekali"


Form = Dict[str, Union[str, Sequence[str]]]


async def post(app: Sanic, browser: Browser, path: str, form: Mapping[str, Any]) -> Reply:
    body = urlencode({"csrf_token": browser.csrf, **form}, doseq=True)
    _, response = await app.asgi_client.post(
        path, content=body, headers=browser.form_headers(), follow_redirects=False
    )
    return response


async def admin(database_url: str) -> Browser:
    return await signed_in(database_url, "admin-utama", ["admin"])


async def count_users(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(users))).scalar())
    finally:
        await engine.dispose()


async def audit_rows(database_url: str, action: str) -> List[Tuple[str, str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            query = select(audit_log.c.actor, audit_log.c.record_id).where(
                audit_log.c.action == action
            )
            return [(row.actor, row.record_id) for row in await conn.execute(query)]
    finally:
        await engine.dispose()


async def person(database_url: str, username: str) -> people.Person:
    engine = create_engine(database_url)
    try:
        found = await people.person_by_name(engine, username)
    finally:
        await engine.dispose()
    assert found is not None
    return found


def new_user(**changes: Union[str, Sequence[str]]) -> Form:
    form: Form = {
        "username": "budi.dishub",
        "display_name": "Budi Santoso",
        "roles": ["staff"],
        "department": "dishub",
        "password_mode": "sendiri",
        "password": NEW_PASSWORD,
    }
    form.update(changes)
    return form


async def test_the_admin_sees_every_person_with_roles_department_and_status(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    await make_person(database_url, "sari", ["staff", "staff_head"], department="dinkes")
    await make_person(database_url, "tono", ["operator"])
    _, response = await app.asgi_client.get("/console/users", headers=me.headers)
    assert response.status == 200
    for text in ("sari", "Sari", "Petugas dinas", "Kepala dinas / bidang", "dinkes", "tono"):
        assert text in response.text
    assert "Operator 112" in response.text and "Aktif" in response.text
    assert "3 pengguna." in response.text


async def test_the_list_filters_by_text(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await make_person(database_url, "sari", ["staff"], department="dinkes")
    await make_person(database_url, "tono", ["operator"])
    _, response = await app.asgi_client.get("/console/users?q=operator", headers=me.headers)
    assert 'href="/console/users/tono"' in response.text
    assert 'href="/console/users/sari"' not in response.text
    assert "1 dari 3 pengguna" in response.text


ROUTES = [
    ("GET", "/console/users"),
    ("GET", "/console/users/new"),
    ("POST", "/console/users/new"),
    ("GET", "/console/users/sari"),
    ("POST", "/console/users/sari"),
    ("POST", "/console/users/sari/active"),
    ("POST", "/console/users/sari/password"),
]


async def test_users_pages_are_for_admins_only(app: Sanic, database_url: str) -> None:
    operator = await signed_in(database_url, "sari", ["operator", "triage"])
    me = await admin(database_url)
    for method, path in ROUTES:
        body = urlencode({"csrf_token": operator.csrf, **new_user()}, doseq=True)
        _, refused = await app.asgi_client.request(
            method, path, content=body, headers=operator.form_headers()
        )
        assert refused.status == 403, f"operator on {method} {path}"
        app.asgi_client.cookies.clear()
        _, stranger = await app.asgi_client.request(
            method, path, content="csrf_token=x", headers={}, follow_redirects=False
        )
        assert stranger.status == (302 if method == "GET" else 401), f"stranger on {path}"
        if method == "POST":  # an admin without the form's token is refused too
            body = urlencode(new_user(active="0", password_mode="acak"), doseq=True)
            _, forged = await app.asgi_client.post(path, content=body, headers=me.form_headers())
            assert forged.status == 403, f"no token on {path}"
    assert await count_users(database_url) == 2  # nothing was created
    assert (await person(database_url, "sari")).active  # nor changed
    assert await audit_rows(database_url, "user.password") == []


async def test_the_admin_creates_a_user_who_then_logs_in(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    response = await post(app, me, "/console/users/new", new_user())
    assert response.status == 200
    assert "sudah dibuat" in response.text
    assert NEW_PASSWORD not in response.text
    created = await person(database_url, "budi.dishub")
    assert created.roles == {"staff"} and created.department_code == "dishub"
    assert created.display_name == "Budi Santoso"
    assert (await log_in(app, "budi.dishub", NEW_PASSWORD)).status == 303
    assert ("admin-utama", "budi.dishub") in await audit_rows(database_url, "user.create")


async def test_a_generated_password_is_shown_once_and_works(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    form = new_user(password_mode="acak", password="", roles=["operator", "editor"])
    response = await post(app, me, "/console/users/new", form)
    assert response.status == 200
    match = re.search(r'data-testid="generated-password">([^<]+)<', response.text)
    assert match, "the generated password is on the result page"
    generated = match.group(1)
    assert len(generated) >= people.MIN_PASSWORD
    assert (await log_in(app, "budi.dishub", generated)).status == 303
    _, later = await app.asgi_client.get("/console/users/budi.dishub", headers=me.headers)
    assert generated not in later.text


BAD_INPUT: List[Tuple[Form, str]] = [
    (
        {"username": "", "display_name": "", "roles": [], "department": "", "password": ""},
        "Mohon pilih paling sedikit satu peran",
    ),
    ({"username": "b" * 65}, "Nama pengguna 3-64 karakter"),
    ({"username": "bü"}, "Nama pengguna 3-64 karakter"),
    ({"username": "búdi"}, "Nama pengguna 3-64 karakter"),
    ({"username": "bu\x00di"}, "Nama pengguna 3-64 karakter"),
    ({"username": "bu\ndi"}, "Nama pengguna 3-64 karakter"),
    ({"username": "new"}, "dicadangkan"),
    ({"display_name": "B" * 129}, "Nama tampilan paling panjang 128"),
    ({"display_name": "Budi\x00"}, "tidak dapat ditampilkan"),
    ({"roles": ["operator", "raja"]}, "peran yang tidak dikenal"),
    ({"department": ""}, "memerlukan dinas"),
    ({"roles": ["staff_head"], "department": ""}, "memerlukan dinas"),
    ({"department": "dinas-rahasia"}, "tidak ada di katalog"),
    ({"password": "pendek-sekali"[:11]}, "Kata sandi minimal 12 karakter"),
    ({"password": ""}, "Mohon isi kata sandi awal"),
    ({"password": "x" * 257}, "paling panjang 256"),
    ({"username": "admin-utama"}, "sudah dipakai"),
    ({"username": "ADMIN-UTAMA"}, "sudah dipakai"),
]


async def test_bad_input_to_the_create_form_is_refused_and_nothing_is_stored(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    for changes, message in BAD_INPUT:
        response = await post(app, me, "/console/users/new", new_user(**changes))
        text = response.text
        assert response.status == 400, changes
        assert message in text, changes
        assert "Pengguna belum dibuat" in text
        password = new_user(**changes)["password"]
        if password:
            assert str(password) not in text, "passwords are never sent back"
        if "display_name" not in changes:
            assert 'value="Budi Santoso"' in text, "the rest of the form is kept"
    assert await count_users(database_url) == 1
    assert await audit_rows(database_url, "user.create") == [("system", "admin-utama")]


async def test_a_form_that_is_not_a_form_is_a_400_not_a_crash(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    _, response = await app.asgi_client.post(
        "/console/users/new",
        content='{"username": "x"}',
        headers={**me.headers, "content-type": "application/json", "X-CSRF-Token": me.csrf},
    )
    assert response.status == 400


async def test_the_admin_edits_name_roles_and_department(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await make_person(database_url, "sari", ["operator"])
    form = {"display_name": "Sari Wulandari", "roles": ["staff_head"], "department": "dinkes"}
    response = await post(app, me, "/console/users/sari", form)
    assert response.status == 303
    location = response.headers["location"]
    _, page = await app.asgi_client.get(location, headers=me.headers)
    assert "Perubahan sudah disimpan" in page.text
    changed = await person(database_url, "sari")
    assert changed.display_name == "Sari Wulandari"
    assert changed.roles == {"staff_head"} and changed.department_code == "dinkes"
    assert ("admin-utama", "sari") in await audit_rows(database_url, "user.roles")
    assert ("admin-utama", "sari") in await audit_rows(database_url, "user.name")


async def test_a_bad_edit_keeps_the_form_and_changes_nothing(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await make_person(database_url, "sari", ["operator"])
    form = {"display_name": "Sari Baru", "roles": ["staff"], "department": ""}
    response = await post(app, me, "/console/users/sari", form)
    assert response.status == 400
    assert "memerlukan dinas" in response.text
    assert 'value="Sari Baru"' in response.text
    unchanged = await person(database_url, "sari")
    assert unchanged.display_name == "Sari" and unchanged.roles == {"operator"}


async def test_an_admin_cannot_remove_their_own_admin_role_or_disable_themself(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    demoted = await post(
        app, me, "/console/users/admin-utama", {"display_name": "Saya", "roles": ["operator"]}
    )
    assert demoted.status == 400
    assert "tidak dapat mencabut peran Administrator" in demoted.text
    disabled = await post(app, me, "/console/users/admin-utama/active", {"active": "0"})
    assert disabled.status == 400
    assert "tidak dapat menonaktifkan akun sendiri" in disabled.text
    still = await person(database_url, "admin-utama")
    assert still.active and still.roles == {"admin"}


async def test_disabling_ends_the_persons_sessions_and_enabling_lets_them_back(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    sari = await signed_in(database_url, "sari", ["triage"])
    response = await post(app, me, "/console/users/sari/active", {"active": "0"})
    assert response.status == 303
    _, after = await app.asgi_client.get("/console/", headers=sari.headers, follow_redirects=False)
    assert after.status == 302
    assert (await log_in(app, "sari", PASSWORD)).status == 401
    _, page = await app.asgi_client.get("/console/users/sari", headers=me.headers)
    assert "Nonaktif" in page.text and "Aktifkan kembali" in page.text
    await post(app, me, "/console/users/sari/active", {"active": "1"})
    assert (await log_in(app, "sari", PASSWORD)).status == 303
    assert ("admin-utama", "sari") in await audit_rows(database_url, "user.disable")
    assert ("admin-utama", "sari") in await audit_rows(database_url, "user.enable")


async def test_resetting_a_password_replaces_the_old_one_and_ends_sessions(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    sari = await signed_in(database_url, "sari", ["triage"])
    form = {"password_mode": "sendiri", "password": NEW_PASSWORD}
    response = await post(app, me, "/console/users/sari/password", form)
    assert response.status == 303
    _, after = await app.asgi_client.get("/console/", headers=sari.headers, follow_redirects=False)
    assert after.status == 302
    assert (await log_in(app, "sari", PASSWORD)).status == 401
    assert (await log_in(app, "sari", NEW_PASSWORD)).status == 303
    assert ("admin-utama", "sari") in await audit_rows(database_url, "user.password")


async def test_a_generated_reset_password_is_shown_once(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await make_person(database_url, "sari", ["triage"])
    response = await post(app, me, "/console/users/sari/password", {"password_mode": "acak"})
    assert response.status == 200
    match = re.search(r'data-testid="generated-password">([^<]+)<', response.text)
    assert match
    assert (await log_in(app, "sari", match.group(1))).status == 303


async def test_a_short_reset_password_is_refused(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    await make_person(database_url, "sari", ["triage"])
    form = {"password_mode": "sendiri", "password": "pendek"}
    response = await post(app, me, "/console/users/sari/password", form)
    assert response.status == 400
    assert "Kata sandi minimal 12 karakter" in response.text
    assert (await log_in(app, "sari", PASSWORD)).status == 303
    assert await audit_rows(database_url, "user.password") == []


async def test_an_admin_resetting_their_own_password_stays_signed_in(
    app: Sanic, database_url: str
) -> None:
    me = await admin(database_url)
    form = {"password_mode": "sendiri", "password": NEW_PASSWORD}
    response = await post(app, me, "/console/users/admin-utama/password", form)
    assert response.status == 303
    _, home = await app.asgi_client.get("/console/", headers=me.headers)
    assert home.status == 200


async def test_an_unknown_user_is_a_404(app: Sanic, database_url: str) -> None:
    me = await admin(database_url)
    _, page = await app.asgi_client.get("/console/users/siapa-ya", headers=me.headers)
    response = await post(app, me, "/console/users/siapa-ya/active", {"active": "0"})
    assert page.status == 404
    assert response.status == 404
