"""Signing people in to the console in tests, as a browser would or directly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, Iterable, Optional, Tuple
from urllib.parse import urlencode

from sanic import Sanic

from backend import people
from backend.console import access, sessions
from lapor.db import create_engine

PASSWORD = "kata-sandi-uji-panjang"
FORM = {"content-type": "application/x-www-form-urlencoded"}
LIFETIMES = sessions.Lifetimes(timedelta(hours=8), timedelta(hours=12))


@dataclass
class Browser:
    """A signed-in person's cookie and CSRF token."""

    person: people.Person
    cookie: str
    csrf: str

    @property
    def headers(self) -> Dict[str, str]:
        return {"cookie": f"{sessions.COOKIE}={self.cookie}"}

    def form_headers(self) -> Dict[str, str]:
        return {**self.headers, **FORM}


async def make_person(
    database_url: str,
    username: str,
    roles: Iterable[str],
    department: Optional[str] = None,
    password: str = PASSWORD,
) -> people.Person:
    engine = create_engine(database_url)
    try:
        return await people.create_user(
            engine, username, password, roles, department=department, display_name=username.title()
        )
    finally:
        await engine.dispose()


async def signed_in(
    database_url: str, username: str, roles: Iterable[str], department: Optional[str] = None
) -> Browser:
    """A person with a session, made without the login form (for route checks)."""
    person = await make_person(database_url, username, roles, department)
    engine = create_engine(database_url)
    try:
        token = await sessions.open_session(engine, person, LIFETIMES)
        found = await sessions.find(engine, token, LIFETIMES)
    finally:
        await engine.dispose()
    assert found is not None
    return Browser(person, token, found.csrf_token)


async def login_form(app: Sanic, next_path: str = "") -> Tuple[str, str]:
    """(the form's token, the pre-login cookie) as the login page hands them out."""
    query = f"?next={next_path}" if next_path else ""
    app.asgi_client.cookies.clear()  # the test client keeps a jar: tests send cookies explicitly
    _, response = await app.asgi_client.get(f"/console/login{query}")
    assert response.status == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "the login form carries a CSRF token"
    return match.group(1), response.cookies[access.LOGIN_COOKIE]


async def log_in(app: Sanic, username: str, password: str = PASSWORD, **extra: str) -> Any:
    token, cookie = await login_form(app)
    body = urlencode({"csrf_token": token, "username": username, "password": password, **extra})
    _, response = await app.asgi_client.post(
        "/console/login",
        content=body,
        headers={**FORM, "cookie": f"{access.LOGIN_COOKIE}={cookie}"},
        follow_redirects=False,
    )
    app.asgi_client.cookies.clear()
    return response
