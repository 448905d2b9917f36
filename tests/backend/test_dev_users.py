"""`make run`'s console users: one per role, the same every run, never in production."""

from __future__ import annotations

from backend import dev_users, people
from lapor.db import create_engine
from tests.servers import run_module, run_process


async def test_development_users_cover_every_role_and_can_sign_in(database_url: str) -> None:
    output = run_module("backend", "dev-users", DATABASE_URL=database_url)
    assert dev_users.DEV_PASSWORD in output
    covered = {role for user in dev_users.DEV_USERS for role in user.roles}
    assert covered == set(people.ROLES)
    engine = create_engine(database_url)
    try:
        again = await dev_users.ensure(engine)
        assert not any(new for _, new in again)  # a second `make run` keeps them as they are
        for user in dev_users.DEV_USERS:
            person = await people.authenticate(engine, user.username, dev_users.DEV_PASSWORD)
            assert person is not None and person.roles == frozenset(user.roles)
    finally:
        await engine.dispose()


def test_development_users_are_refused_in_production() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    result = run_process("backend", "dev-users", DATABASE_URL=url, APP_ENV="production")
    assert result.returncode == 2
