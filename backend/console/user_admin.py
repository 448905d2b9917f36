"""The admin's work on console accounts, behind the users pages: reading the
list, checking a form before anything is stored, and the rules that keep an
admin from locking themself out.

Every change goes through backend/people.py (which audits it); this module
only reads the users table directly, for what `people.Person` does not carry
(when an account was made, whether it is locked).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import people
from backend.tables import user_roles, users
from lapor.timeutil import aware, utcnow

MAX_NAME = 128
# Argon2 takes any length; a ceiling keeps a pasted novel from costing a hash.
MAX_PASSWORD = 256
# The create form lives at /console/users/new, so no account may be called that.
RESERVED = frozenset({"new"})
# Readable when dictated or copied from a screen: no 0/O, 1/l/I.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

DEPARTMENT_LABELS = " dan ".join(people.ROLES[r] for r in sorted(people.DEPARTMENT_ROLES))
MESSAGES = {
    "taken": "Nama pengguna itu sudah dipakai. Mohon pilih nama pengguna lain.",
    "username": (
        "Nama pengguna 3-64 karakter: huruf kecil a-z, angka 0-9, titik, garis bawah "
        "atau tanda hubung, diawali huruf atau angka."
    ),
    "reserved": "Nama pengguna itu dicadangkan untuk konsol. Mohon pilih nama pengguna lain.",
    "password": f"Kata sandi minimal {people.MIN_PASSWORD} karakter.",
    "password_long": f"Kata sandi paling panjang {MAX_PASSWORD} karakter.",
    "password_missing": ("Mohon isi kata sandi awal, atau pilih “Buat kata sandi acak”."),
    "role_unknown": "Ada peran yang tidak dikenal. Mohon pilih dari daftar peran.",
    "role_missing": "Mohon pilih paling sedikit satu peran.",
    "department_needed": f"Peran {DEPARTMENT_LABELS} memerlukan dinas. Mohon pilih dinasnya.",
    "department_unknown": "Dinas itu tidak ada di katalog. Mohon pilih dari daftar.",
    "name_empty": "Nama tampilan tidak boleh kosong.",
    "name_long": f"Nama tampilan paling panjang {MAX_NAME} karakter.",
    "name_control": "Nama tampilan memuat karakter yang tidak dapat ditampilkan.",
    "self_disable": (
        "Bapak/Ibu tidak dapat menonaktifkan akun sendiri. "
        "Mohon minta administrator lain bila akun ini memang harus ditutup."
    ),
    "self_admin": (
        "Bapak/Ibu tidak dapat mencabut peran Administrator dari akun sendiri. "
        "Mohon minta administrator lain melakukannya."
    ),
    "no_user": "Pengguna itu tidak ditemukan.",
    "other": "Permintaan ini tidak dapat diproses. Mohon periksa isian formulir.",
}


@dataclass(frozen=True)
class Account:
    """A person as the admin's list shows them."""

    person: people.Person
    created_at: datetime
    locked_until: Optional[datetime]

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and aware(self.locked_until) > utcnow()


@dataclass
class Draft:
    """What a users form asked for, cleaned, with the problems found (Indonesian)."""

    username: str = ""
    display_name: str = ""
    roles: FrozenSet[str] = frozenset()
    department: Optional[str] = None
    password: str = ""
    generate: bool = False
    problems: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def indonesian(error: people.PeopleError) -> str:
    """The Indonesian message for one of backend.people's (English) refusals."""
    text = str(error)
    for marker, key in (
        ("is taken", "taken"),
        ("a username is", "username"),
        ("password must be", "password"),
        ("unknown roles", "role_unknown"),
        ("at least one role", "role_missing"),
        ("belong to a department", "department_needed"),
        ("may not be empty", "name_empty"),
        ("no user", "no_user"),
    ):
        if marker in text:
            return MESSAGES[key]
    return MESSAGES["other"]


def generate_password() -> str:
    """A random password to hand over once: 16 characters (about 93 bits), in
    groups of four so it can be read out."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def read_password(form: Mapping[str, str], draft: Draft) -> None:
    """The password part of a form: typed by the admin, or generated."""
    draft.generate = form.get("password_mode") == "acak"
    if draft.generate:
        draft.password = generate_password()
        return
    draft.password = form.get("password", "")
    if not draft.password:
        draft.problems.append(MESSAGES["password_missing"])
    elif len(draft.password) < people.MIN_PASSWORD:
        draft.problems.append(MESSAGES["password"])
    elif len(draft.password) > MAX_PASSWORD:
        draft.problems.append(MESSAGES["password_long"])


def read_profile(
    form: Mapping[str, str],
    roles: Sequence[str],
    departments: Mapping[str, str],
    draft: Draft,
) -> None:
    """Display name, roles and department, checked as people.py would and more
    (the catalogue's departments, printable names), before anything is stored."""
    name = form.get("display_name", "")
    draft.display_name = " ".join(name.split())
    if not draft.display_name:
        draft.problems.append(MESSAGES["name_empty"])
    elif len(draft.display_name) > MAX_NAME:
        draft.problems.append(MESSAGES["name_long"])
    elif _has_control(draft.display_name):
        draft.problems.append(MESSAGES["name_control"])
    draft.roles = frozenset(roles)
    if draft.roles - people.ROLES.keys():
        draft.problems.append(MESSAGES["role_unknown"])
        draft.roles = draft.roles & people.ROLES.keys()
    elif not draft.roles:
        draft.problems.append(MESSAGES["role_missing"])
    department = form.get("department", "").strip()
    draft.department = department or None
    if department and department not in departments:
        draft.problems.append(MESSAGES["department_unknown"])
        draft.department = None
    if draft.roles & people.DEPARTMENT_ROLES and not draft.department:
        draft.problems.append(MESSAGES["department_needed"])


def read_new(
    form: Mapping[str, str], roles: Sequence[str], departments: Mapping[str, str]
) -> Draft:
    """The create form, checked whole: every problem is shown at once."""
    draft = Draft()
    raw = form.get("username", "")
    draft.username = raw.strip().lower()
    if draft.username in RESERVED:
        draft.problems.append(MESSAGES["reserved"])
    elif not draft.username.isascii() or not people.USERNAME.match(draft.username):
        draft.problems.append(MESSAGES["username"])
        draft.username = _printable(raw)[:64]  # kept in the form, safely
    if not form.get("display_name", "").strip():
        form = {**form, "display_name": draft.username}
    read_profile(form, roles, departments, draft)
    read_password(form, draft)
    return draft


def self_problems(actor: people.Person, target: people.Person, draft: Draft) -> List[str]:
    """An admin keeps their own admin role: otherwise nobody may be left to fix things."""
    if actor.id == target.id and "admin" not in draft.roles and draft.ok:
        return [MESSAGES["self_admin"]]
    return []


async def accounts(engine: AsyncEngine) -> List[Account]:
    """Every account, by username, with its roles."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(users).order_by(users.c.username))).all()
        held: Dict[int, set[str]] = {}
        for user_id, role in await conn.execute(select(user_roles.c.user_id, user_roles.c.role)):
            held.setdefault(user_id, set()).add(role)
    return [_account(row, held.get(row.id, set())) for row in rows]


async def account(engine: AsyncEngine, username: str) -> Optional[Account]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.username == username))).first()
        if row is None:
            return None
        query = select(user_roles.c.role).where(user_roles.c.user_id == row.id)
        held = set((await conn.execute(query)).scalars())
    return _account(row, held)


def matches(item: Account, query: str, departments: Mapping[str, str]) -> bool:
    """The list's filter: any word of the query in the username, name, roles or department."""
    person = item.person
    code = person.department_code or ""
    haystack = " ".join(
        [
            person.username,
            person.display_name,
            *person.roles,
            *(people.ROLES.get(r, r) for r in person.roles),
            code,
            departments.get(code, ""),
            "aktif" if person.active else "nonaktif",
        ]
    ).casefold()
    return all(word in haystack for word in query.casefold().split())


async def apply_profile(
    engine: AsyncEngine, target: people.Person, draft: Draft, actor: str
) -> List[str]:
    """Store what changed (and only that: the audit log shows real changes).
    Returns which parts changed."""
    changed = []
    if draft.display_name != target.display_name:
        await people.set_display_name(engine, target.username, draft.display_name, actor)
        changed.append("name")
    if draft.roles != target.roles or draft.department != target.department_code:
        await people.set_roles(engine, target.username, draft.roles, draft.department, actor)
        changed.append("roles")
    return changed


def _account(row: Any, roles: set[str]) -> Account:
    person = people.Person(
        row.id, row.username, row.display_name, row.department_code, row.active, frozenset(roles)
    )
    return Account(person, aware(row.created_at), row.locked_until)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text)


def _printable(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")
