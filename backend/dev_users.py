"""Development people for `make run`: one per role, with a password everyone
knows, so a developer can open every console page at once. Refused in
production (`python -m backend dev-users`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people

DEV_PASSWORD = "konsol-dev-kediri"


@dataclass(frozen=True)
class DevUser:
    username: str
    name: str
    roles: Tuple[str, ...]
    department: Optional[str] = None


DEV_USERS: Tuple[DevUser, ...] = (
    DevUser("operator", "Operator 112 (dev)", ("operator",)),
    DevUser("kepala-regu", "Kepala regu 112 (dev)", ("operator_supervisor", "operator")),
    DevUser("staf-dishub", "Petugas Dishub (dev)", ("staff",), "dishub"),
    DevUser("kepala-dishub", "Kepala Dishub (dev)", ("staff_head", "staff"), "dishub"),
    DevUser("pemilah", "Pemilah Diskominfo (dev)", ("triage",)),
    DevUser("editor", "Editor konten (dev)", ("editor",)),
    DevUser("monev", "Monev Diskominfo (dev)", ("monev",)),
    DevUser("admin", "Administrator (dev)", ("admin",)),
)


async def ensure(engine: AsyncEngine) -> List[Tuple[DevUser, bool]]:
    """Each development person, and whether it was created now (else it existed)."""
    made = []
    for user in DEV_USERS:
        try:
            await people.create_user(
                engine,
                user.username,
                DEV_PASSWORD,
                user.roles,
                display_name=user.name,
                department=user.department,
                actor="dev-users",
            )
            made.append((user, True))
        except people.PeopleError:
            made.append((user, False))  # the username is taken: it exists already
    return made
