"""Signed-in browsers of the city console, kept in the database so any
backend replica recognises them and logging out (or disabling a person)
ends a session everywhere at once.

The cookie holds a random token; the table keeps its SHA-256 only. A session
ends after `idle` without a request and, in any case, `lifetime` after login.
Each session has its own CSRF token, which every form and script sends back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people
from backend.tables import console_sessions, users
from lapor.timeutil import aware, utcnow

COOKIE = "konsol_sesi"
# Writing last_seen on every request would make every page view a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    token_hash: str
    person: people.Person
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    lifetime: timedelta


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def open_session(
    engine: AsyncEngine, person: people.Person, times: Lifetimes, now: Optional[datetime] = None
) -> str:
    """A new session for a person who just proved who they are; returns the cookie's token."""
    when = now or utcnow()
    token = secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        await conn.execute(
            console_sessions.insert().values(
                token_hash=digest(token),
                user_id=person.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=when,
                last_seen_at=when,
                expires_at=when + min(times.idle, times.lifetime),
            )
        )
        await people.audit(conn, person.username, "login", "user", person.username, {}, when)
    return token


async def find(
    engine: AsyncEngine, token: str, times: Lifetimes, now: Optional[datetime] = None
) -> Optional[Session]:
    """The live session behind a cookie's token, its expiry moved on; None if there is none."""
    when = now or utcnow()
    hashed = digest(token)
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(console_sessions, users.c.active)
                .join(users, users.c.id == console_sessions.c.user_id)
                .where(console_sessions.c.token_hash == hashed)
            )
        ).first()
        if row is None:
            return None
        if not row.active or aware(row.expires_at) <= when:
            await conn.execute(
                delete(console_sessions).where(console_sessions.c.token_hash == hashed)
            )
            return None
        person = await people.person_by_id(conn, row.user_id)
        expires = aware(row.expires_at)
        if when - aware(row.last_seen_at) >= TOUCH_EVERY:
            expires = min(when + times.idle, aware(row.created_at) + times.lifetime)
            await conn.execute(
                update(console_sessions)
                .where(console_sessions.c.token_hash == hashed)
                .values(last_seen_at=when, expires_at=expires)
            )
    if person is None:
        return None
    return Session(hashed, person, row.csrf_token, expires)


async def close(engine: AsyncEngine, token_hash: str, actor: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            delete(console_sessions).where(console_sessions.c.token_hash == token_hash)
        )
        await people.audit(conn, actor, "logout", "user", actor, {})
