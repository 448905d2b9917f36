from __future__ import annotations

import pytest

from lapor.db import async_url, sync_url


def test_one_url_gives_each_driver_its_own() -> None:
    assert async_url("postgresql://u@h:5432/db") == "postgresql+asyncpg://u@h:5432/db"
    assert sync_url("postgres://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert async_url("sqlite:///var/x.sqlite3") == "sqlite+aiosqlite:///var/x.sqlite3"
    with pytest.raises(ValueError, match="unsupported database"):
        async_url("mysql://u@h/db")
