"""Reading the voice line's tables back in tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, List

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.tables import voice_calls
from lapor.db import create_engine

CALLER = "+6281234500112"


def engine_of(database_url: str) -> AsyncEngine:
    return create_engine(database_url)


async def rows(engine: AsyncEngine, table: Table) -> List[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(table).order_by(*table.primary_key))).all())


async def call_row(database_url: str, call_sid: str) -> SimpleNamespace:
    """The call's row; its `class` column as `class_` (a Python keyword)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(voice_calls).where(voice_calls.c.call_sid == call_sid))
            ).one()
    finally:
        await engine.dispose()
    values = dict(row._mapping)
    values["class_"] = values.pop("class")
    return SimpleNamespace(**values)
