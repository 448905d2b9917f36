"""Time in the city's zone. Stored in UTC; shown in WIB (UTC+7, no DST)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from babel.dates import format_date

WIB = timezone(timedelta(hours=7), "WIB")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC (a naive value is UTC already, as stored).

    Raises ValueError when the instant cannot be held: year 1 at +14:00 is still
    the year 0 in UTC.
    """
    try:
        return aware(value).astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is out of range in UTC") from None


def isoformat(value: datetime | None) -> str | None:
    return aware(value).astimezone(WIB).isoformat(timespec="seconds") if value else None


def parse_iso(text: str) -> datetime:
    """ISO-8601; a value without an offset is read as WIB. Raises ValueError."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    parsed = datetime.fromisoformat(cleaned)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)


def date_id(value: datetime | None) -> str:
    """'30 November 2026': the date in Indonesian, as the city (WIB) sees it."""
    if value is None:
        return "-"
    return str(format_date(aware(value).astimezone(WIB), "d MMMM y", locale="id"))
