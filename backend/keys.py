"""Department API keys: issued once, stored hashed, checked per request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Iterable, List

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.tables import department_keys
from lapor.settings import development_department_key
from lapor.timeutil import utcnow

# Holders of a key for this pseudo-department may change any ticket.
ADMIN = "admin"


@dataclass(frozen=True)
class Holder:
    department: str
    label: str | None

    @property
    def is_admin(self) -> bool:
        return self.department == ADMIN

    @property
    def scope(self) -> str | None:
        """The one department whose tickets this key may touch (None: all, the admin's)."""
        return None if self.is_admin else self.department


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_key(
    engine: AsyncEngine, department: str, label: str | None = None, key: str | None = None
) -> str:
    """Store a new key for the department and return it (shown only this once)."""
    key = key or f"{department}-{secrets.token_urlsafe(24)}"
    async with engine.begin() as conn:
        await conn.execute(
            insert(department_keys).values(
                department_code=department,
                key_hash=hash_key(key),
                label=label,
                created_at=utcnow(),
            )
        )
    return key


async def holder_of(engine: AsyncEngine, key: str) -> Holder | None:
    if not key:
        return None
    statement = select(department_keys.c.department_code, department_keys.c.label).where(
        department_keys.c.key_hash == hash_key(key), department_keys.c.revoked_at.is_(None)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(statement)).first()
    return Holder(department=row.department_code, label=row.label) if row else None


async def key_exists(engine: AsyncEngine, key: str) -> bool:
    async with engine.connect() as conn:
        statement = select(department_keys.c.id).where(department_keys.c.key_hash == hash_key(key))
        return (await conn.execute(statement)).first() is not None


async def revoke_department(engine: AsyncEngine, department: str) -> int:
    """Revokes every valid key of the department; returns how many."""
    return await _revoke(engine, department_keys.c.department_code == department)


async def revoke_key(engine: AsyncEngine, key: str) -> int:
    """Revokes one key (1), or nothing when it is unknown or already revoked (0)."""
    return await _revoke(engine, department_keys.c.key_hash == hash_key(key))


async def _revoke(engine: AsyncEngine, which: Any) -> int:
    # Revoked rows are kept (not deleted): the table stays a record of who held access.
    statement = (
        update(department_keys)
        .where(which, department_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    async with engine.begin() as conn:
        return int((await conn.execute(statement)).rowcount or 0)


async def valid_development_keys(engine: AsyncEngine, departments: Iterable[str]) -> List[str]:
    """The development keys (`dev-<department>-key`) that still open the staff API."""
    candidates = {hash_key(development_department_key(d)): d for d in departments}
    statement = select(department_keys.c.key_hash).where(
        department_keys.c.key_hash.in_(list(candidates)), department_keys.c.revoked_at.is_(None)
    )
    async with engine.connect() as conn:
        found = {row.key_hash for row in await conn.execute(statement)}
    return sorted(development_department_key(candidates[h]) for h in found)
