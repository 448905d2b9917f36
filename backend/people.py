"""People of the city console: accounts, roles, passwords, lockout, audit.

Passwords are kept as Argon2id hashes (argon2-cffi); a hash made with older
parameters is renewed at the next successful login. After `MAX_FAILURES`
wrong passwords in a row an account is locked for `LOCKOUT`, whoever tries:
the lock is in the database, so every replica honours it. Every change a
person makes to another record is written to the audit log in the same
transaction as the change (`audit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, FrozenSet, Iterable, List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.tables import audit_log, console_sessions, user_roles, users
from lapor.timeutil import aware, utcnow

# The one list of roles every console page checks against (issue 11).
ROLES: Dict[str, str] = {
    "operator": "Operator 112",
    "operator_supervisor": "Kepala regu 112",
    "staff": "Petugas dinas",
    "staff_head": "Kepala dinas / bidang",
    "triage": "Pemilah laporan (Diskominfo)",
    "editor": "Editor konten bot",
    "monev": "Monitoring dan evaluasi",
    "admin": "Administrator",
}
DEPARTMENT_ROLES = frozenset({"staff", "staff_head"})
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
# Console paths under /console/users/ that a username must not shadow.
RESERVED = frozenset({"new"})
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

_hasher = PasswordHasher()


class PeopleError(ValueError):
    """A request about people that cannot be done; the message says why."""


class LockedOut(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    department_code: Optional[str]
    active: bool
    roles: FrozenSet[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PeopleError(f"the password must be at least {MIN_PASSWORD} characters")


def check_roles(roles: Iterable[str], department: Optional[str]) -> FrozenSet[str]:
    chosen = frozenset(roles)
    unknown = sorted(chosen - ROLES.keys())
    if unknown:
        raise PeopleError(f"unknown roles {unknown}; known: {', '.join(ROLES)}")
    if not chosen:
        raise PeopleError("a person needs at least one role")
    if chosen & DEPARTMENT_ROLES and not department:
        raise PeopleError("staff and staff_head belong to a department: give its code")
    return chosen


async def create_user(
    engine: AsyncEngine,
    username: str,
    password: str,
    roles: Iterable[str],
    *,
    display_name: Optional[str] = None,
    department: Optional[str] = None,
    actor: str = "system",
) -> Person:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise PeopleError("a username is 3-64 of a-z, 0-9, '.', '_' or '-'")
    if username in RESERVED:
        raise PeopleError(f"the username {username!r} is reserved")
    check_password(password)
    chosen = check_roles(roles, department)
    now = utcnow()
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                insert(users).values(
                    username=username,
                    display_name=(display_name or username).strip()[:128],
                    password_hash=_hasher.hash(password),
                    department_code=department,
                    active=True,
                    failed_logins=0,
                    password_changed_at=now,
                    created_at=now,
                )
            )
            user_id = int(result.inserted_primary_key[0])
            await conn.execute(
                insert(user_roles), [{"user_id": user_id, "role": r} for r in chosen]
            )
            await audit(conn, actor, "user.create", "user", username, {"roles": sorted(chosen)})
    except IntegrityError:
        raise PeopleError(f"the username {username!r} is taken") from None
    return Person(user_id, username, display_name or username, department, True, chosen)


async def authenticate(
    engine: AsyncEngine, username: str, password: str, now: Optional[datetime] = None
) -> Optional[Person]:
    """The person, if the password is right; None otherwise. Raises LockedOut."""
    when = now or utcnow()
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(users).where(users.c.username == username.strip().lower()).with_for_update()
            )
        ).first()
        if row is None or not row.active:
            _hasher.hash(password)  # the same time as a real check: names stay secret
            return None
        if row.locked_until is not None and aware(row.locked_until) > when:
            raise LockedOut(aware(row.locked_until))
        if not _verified(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = when + LOCKOUT if failures >= MAX_FAILURES else None
            await conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(failed_logins=0 if locked else failures, locked_until=locked)
            )
            await audit(conn, row.username, "login.failed", "user", row.username, {}, when)
            return None
        values: Dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if _hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = _hasher.hash(password)
        await conn.execute(update(users).where(users.c.id == row.id).values(**values))
        return await _person(conn, row)


async def change_password(
    engine: AsyncEngine, username: str, new: str, actor: str, keep_session: Optional[str] = None
) -> None:
    """A new password; every session of the person ends but `keep_session` (the
    one that changed it), so a stolen session dies with the old password."""
    check_password(new)
    async with engine.begin() as conn:
        user_id = await _user_id(conn, username)
        await conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                password_hash=_hasher.hash(new),
                password_changed_at=utcnow(),
                failed_logins=0,
                locked_until=None,
            )
        )
        await _end_sessions(conn, user_id, keep_session)
        await audit(conn, actor, "user.password", "user", username, {})


async def set_active(engine: AsyncEngine, username: str, active: bool, actor: str) -> None:
    async with engine.begin() as conn:
        user_id = await _user_id(conn, username)
        await conn.execute(update(users).where(users.c.id == user_id).values(active=active))
        if not active:
            await _end_sessions(conn, user_id)
        await audit(conn, actor, "user.enable" if active else "user.disable", "user", username, {})


async def set_roles(
    engine: AsyncEngine, username: str, roles: Iterable[str], department: Optional[str], actor: str
) -> None:
    chosen = check_roles(roles, department)
    async with engine.begin() as conn:
        user_id = await _user_id(conn, username)
        await conn.execute(
            update(users).where(users.c.id == user_id).values(department_code=department)
        )
        await conn.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
        await conn.execute(insert(user_roles), [{"user_id": user_id, "role": r} for r in chosen])
        await audit(conn, actor, "user.roles", "user", username, {"roles": sorted(chosen)})


async def audit(
    conn: AsyncConnection,
    actor: str,
    action: str,
    record_type: Optional[str],
    record_id: Optional[str],
    detail: Dict[str, Any],
    when: Optional[datetime] = None,
) -> None:
    """One audit record, in the caller's transaction (the change and its record together)."""
    await conn.execute(
        insert(audit_log).values(
            at=when or utcnow(),
            actor=actor,
            action=action,
            record_type=record_type,
            record_id=record_id,
            detail=detail,
        )
    )


async def set_display_name(engine: AsyncEngine, username: str, name: str, actor: str) -> None:
    cleaned = " ".join(name.split())[:128]
    if not cleaned:
        raise PeopleError("the name shown in the console may not be empty")
    async with engine.begin() as conn:
        user_id = await _user_id(conn, username)
        await conn.execute(update(users).where(users.c.id == user_id).values(display_name=cleaned))
        await audit(conn, actor, "user.name", "user", username, {"display_name": cleaned})


PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")


async def set_phone(engine: AsyncEngine, username: str, phone: Optional[str], actor: str) -> None:
    """The WhatsApp number alerts reach the person at when not signed in (None: none).

    International form (+62...), so Twilio takes it as it is."""
    cleaned = re.sub(r"[\s().-]", "", phone or "") or None
    if cleaned is not None and not PHONE.match(cleaned):
        raise PeopleError("the phone number must be in international form, e.g. +6281234567890")
    async with engine.begin() as conn:
        user_id = await _user_id(conn, username)
        await conn.execute(update(users).where(users.c.id == user_id).values(phone=cleaned))
        # Who changed it and when; the number itself stays out of the audit log.
        await audit(conn, actor, "user.phone", "user", username, {"set": cleaned is not None})


async def person_by_id(conn: AsyncConnection, user_id: int) -> Optional[Person]:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return None if row is None else await _person(conn, row)


async def person_by_name(engine: AsyncEngine, username: str) -> Optional[Person]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return None if row is None else await _person(conn, row)


async def everyone(engine: AsyncEngine) -> List[Person]:
    """Every person, by username (the admin's list)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(users).order_by(users.c.username))).all()
        roles: Dict[int, set[str]] = {}
        for user_id, role in await conn.execute(select(user_roles.c.user_id, user_roles.c.role)):
            roles.setdefault(user_id, set()).add(role)
    return [
        Person(
            r.id,
            r.username,
            r.display_name,
            r.department_code,
            r.active,
            frozenset(roles.get(r.id, ())),
        )
        for r in rows
    ]


async def _user_id(conn: AsyncConnection, username: str) -> int:
    user_id = (await conn.execute(select(users.c.id).where(users.c.username == username))).scalar()
    if user_id is None:
        raise PeopleError(f"no user {username!r}")
    return int(user_id)


async def _end_sessions(conn: AsyncConnection, user_id: int, keep: Optional[str] = None) -> None:
    query = delete(console_sessions).where(console_sessions.c.user_id == user_id)
    if keep is not None:
        query = query.where(console_sessions.c.token_hash != keep)
    await conn.execute(query)


def _verified(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def _person(conn: AsyncConnection, row: Any) -> Person:
    roles = (
        await conn.execute(select(user_roles.c.role).where(user_roles.c.user_id == row.id))
    ).scalars()
    return Person(
        row.id, row.username, row.display_name, row.department_code, row.active, frozenset(roles)
    )
