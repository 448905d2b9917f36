"""The period a monev view covers: whole days in WIB, `dari` to `sampai`
inclusive, compared with the period of the same length just before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, List, Mapping, Optional

from babel.dates import format_date

from lapor.timeutil import WIB, utcnow

DEFAULT_DAYS = 30
# A figure over more than a few years says little and costs a scan of everything.
MAX_DAYS = 3 * 366
EARLIEST = date(2020, 1, 1)


class PeriodError(ValueError):
    """A period that cannot be shown; the message is for the person (Indonesian)."""


@dataclass(frozen=True)
class Period:
    first: date  # the first day, WIB
    last: date  # the last day, inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first instant, in UTC."""
        return datetime.combine(self.first, time(), WIB).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The instant after the last day, in UTC (the range is [start, end))."""
        return datetime.combine(self.last + timedelta(days=1), time(), WIB).astimezone(timezone.utc)

    def previous(self) -> "Period":
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> List[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    @property
    def label(self) -> str:
        return f"{_day(self.first)} – {_day(self.last)}"

    def query(self) -> str:
        return f"dari={self.first.isoformat()}&sampai={self.last.isoformat()}"


def today() -> date:
    return utcnow().astimezone(WIB).date()


def yesterday() -> date:
    return today() - timedelta(days=1)


def default(days: int = DEFAULT_DAYS, last: Optional[date] = None) -> Period:
    """The last `days` whole days: up to yesterday, so a comparison with the period
    before never sets a day still going on against finished ones."""
    end = last or yesterday()
    return Period(end - timedelta(days=days - 1), end)


def from_args(args: Mapping[str, Any], days: int = DEFAULT_DAYS) -> Period:
    """The period in a request's `dari` and `sampai` (YYYY-MM-DD; Sanic's
    request.args gives the first of each); either may be
    left out (the default ends yesterday and spans `days`). Today may be asked
    for: it is shown as far as it has gone."""
    first_text, last_text = args.get("dari", "").strip(), args.get("sampai", "").strip()
    last = _parse(last_text, "akhir") if last_text else yesterday()
    first = _parse(first_text, "awal") if first_text else last - timedelta(days=days - 1)
    if first > last:
        raise PeriodError("Tanggal awal periode harus sebelum atau sama dengan tanggal akhir.")
    if first < EARLIEST or last > today():
        raise PeriodError(
            f"Periode harus di antara {_day(EARLIEST)} dan hari ini ({_day(today())})."
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"Periode paling panjang {MAX_DAYS} hari. Mohon persempit periodenya.")
    return Period(first, last)


def _parse(text: str, which: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            f"Tanggal {which} periode tidak dikenali: “{text[:40]}”. Gunakan format TTTT-BB-HH."
        ) from None


def _day(value: date) -> str:
    return str(format_date(value, "d MMM y", locale="id"))
