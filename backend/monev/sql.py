"""SQL pieces whose spelling differs between PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional, Union

from sqlalchemy import Date, Float, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from backend.monev.stats import Spread, spread

CITY_ZONE = "Asia/Jakarta"  # WIB, UTC+7 all year


def local_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The WIB calendar day of a stored UTC timestamp."""
    if dialect == "postgresql":
        # A literal, not a bound parameter: the GROUP BY must repeat the very same expression.
        return cast(func.timezone(literal_column(f"'{CITY_ZONE}'"), column), Date)
    return func.date(column, "+7 hours")


def hours_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    """end - start in hours (NULL when either is)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def spreads(
    conn: AsyncConnection, group: Any, value: Any, *where: Any
) -> Dict[Optional[str], Spread]:
    """The count, median and 90th percentile of `value` per `group`, and over
    all of them (key None). PostgreSQL computes them (percentile_cont, a
    ROLLUP for the total); SQLite has neither, so the values come to Python
    and stats.spread interpolates exactly as percentile_cont does."""
    if conn.dialect.name == "postgresql":
        statement = (
            select(
                group,
                func.count(value),
                func.percentile_cont(0.5).within_group(value),
                func.percentile_cont(0.9).within_group(value),
            )
            .where(value.is_not(None), *where)
            .group_by(func.rollup(group))
        )
        rows = (await conn.execute(statement)).all()
        return {key: Spread(n, median, p90) for key, n, median, p90 in rows}
    values: Dict[Optional[str], List[float]] = {None: []}
    for key, number in (
        await conn.execute(select(group, value).where(value.is_not(None), *where))
    ).all():
        values.setdefault(key, []).append(number)
        values[None].append(number)
    return {key: spread(numbers) for key, numbers in values.items()}


def as_date(value: Union[date, str]) -> date:
    """SQLite gives the day as text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(value)
