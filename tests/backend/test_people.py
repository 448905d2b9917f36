"""People of the city console: Argon2 passwords, roles, lockout, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend import people
from backend.tables import audit_log, users
from lapor.db import create_engine
from lapor.timeutil import utcnow
from tests import servers

PASSWORD = "kata-sandi-panjang"


async def test_a_person_logs_in_with_the_right_password_only(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await people.create_user(engine, "Sari", PASSWORD, ["operator", "monev"], actor="admin")
        person = await people.authenticate(engine, "sari", PASSWORD)
        assert person is not None and person.roles == {"operator", "monev"}
        assert person.has("monev") and not person.has("admin")
        assert await people.authenticate(engine, "sari", "salah-sandi-panjang") is None
        assert await people.authenticate(engine, "nobody", PASSWORD) is None
        async with engine.connect() as conn:
            stored = (await conn.execute(select(users.c.password_hash))).scalar_one()
            actions = (await conn.execute(select(audit_log.c.action))).scalars().all()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert actions == ["user.create", "login.failed"]
    finally:
        await engine.dispose()


async def test_repeated_failures_lock_the_account_for_a_while(database_url: str) -> None:
    engine = create_engine(database_url)
    now = utcnow()
    try:
        await people.create_user(engine, "budi", PASSWORD, ["staff"], department="dishub")
        for _ in range(people.MAX_FAILURES):
            assert await people.authenticate(engine, "budi", "tebakan-yang-salah", now) is None
        # Locked: even the right password is refused until the lock passes.
        with pytest.raises(people.LockedOut):
            await people.authenticate(engine, "budi", PASSWORD, now + timedelta(minutes=1))
        later = now + people.LOCKOUT + timedelta(seconds=1)
        person = await people.authenticate(engine, "budi", PASSWORD, later)
        assert person is not None and person.department_code == "dishub"
    finally:
        await engine.dispose()


async def test_disabled_people_cannot_log_in_and_changes_are_audited(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await people.create_user(engine, "rina", PASSWORD, ["editor"])
        await people.set_active(engine, "rina", False, actor="admin")
        assert await people.authenticate(engine, "rina", PASSWORD) is None
        await people.set_active(engine, "rina", True, actor="admin")
        await people.change_password(engine, "rina", "sandi-baru-yang-panjang", actor="admin")
        await people.set_roles(engine, "rina", ["editor", "triage"], None, actor="admin")
        person = await people.authenticate(engine, "rina", "sandi-baru-yang-panjang")
        assert person is not None and person.roles == {"editor", "triage"}
        async with engine.connect() as conn:
            rows = (await conn.execute(select(audit_log.c.actor, audit_log.c.action))).all()
        assert [tuple(r) for r in rows] == [
            ("system", "user.create"),
            ("admin", "user.disable"),
            ("admin", "user.enable"),
            ("admin", "user.password"),
            ("admin", "user.roles"),
        ]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("username", "password", "roles", "department", "why"),
    [
        ("ab", PASSWORD, ["operator"], None, "username"),
        ("sari", "pendek", ["operator"], None, "at least 12"),
        ("sari", PASSWORD, ["superuser"], None, "unknown roles"),
        ("sari", PASSWORD, [], None, "at least one role"),
        ("sari", PASSWORD, ["staff"], None, "department"),
    ],
)
async def test_bad_people_are_refused(
    database_url: str, username: str, password: str, roles: list, department: str, why: str
) -> None:
    engine = create_engine(database_url)
    try:
        with pytest.raises(people.PeopleError, match=why):
            await people.create_user(engine, username, password, roles, department=department)
    finally:
        await engine.dispose()


async def test_a_username_is_taken_once(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await people.create_user(engine, "sari", PASSWORD, ["operator"])
        with pytest.raises(people.PeopleError, match="taken"):
            await people.create_user(engine, "SARI", PASSWORD, ["admin"])
    finally:
        await engine.dispose()


def test_the_command_line_creates_a_person(database_url: str) -> None:
    created = servers.run_process(
        "backend", "create-user", "dewi", "--role", "staff", "--department", "dishub",
        "--name", "Dewi (PJU)", "--password-stdin", stdin=PASSWORD + "\n",
        DATABASE_URL=database_url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "created dewi (staff)" in created.stdout
    refused = servers.run_process(
        "backend", "create-user", "eko", "--role", "staff", "--password-stdin",
        stdin=PASSWORD + "\n", DATABASE_URL=database_url,
    )  # fmt: skip
    assert refused.returncode == 2 and "department" in refused.stderr


async def test_a_phone_for_alerts_is_kept_in_international_form_and_audited_without_it(
    database_url: str,
) -> None:
    from sqlalchemy import select

    from backend.tables import audit_log, users
    from lapor.db import create_engine

    engine = create_engine(database_url)
    try:
        await people.create_user(engine, "kepala-x", "kata-sandi-panjang-uji", ["staff_head"],
                                 department="dishub")  # fmt: skip
        await people.set_phone(engine, "kepala-x", "+62 812-3456-7890", actor="admin")
        with pytest.raises(people.PeopleError, match="international form"):
            await people.set_phone(engine, "kepala-x", "0812 3456 7890", actor="admin")
        async with engine.connect() as conn:
            phone = (await conn.execute(select(users.c.phone))).scalar()
            detail = (await conn.execute(select(audit_log.c.detail))).all()[-1][0]
        assert phone == "+6281234567890" and detail == {"set": True}
        await people.set_phone(engine, "kepala-x", None, actor="admin")
    finally:
        await engine.dispose()
